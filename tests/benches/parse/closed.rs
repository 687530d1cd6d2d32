//! The closed anchor of the parse bench: plain `#[derive(Deserialize, Serialize)]` structs with the
//! fields of the generated notification types and their wire names, written by hand. Closed: no
//! `additional_properties` (serde skips what a struct does not name), enums fail on members they do
//! not know, and a notification's resource is a call (both documented notifications carry one), so
//! the anchor knows nothing of the resource union. `None` fields are not written, as the
//! generated types do not write them.

use serde::{Deserialize, Serialize};

/// A closed struct whose fields are all optional: `field: Type = "wireName"`.
macro_rules! closed_struct {
    ($name:ident { $($field:ident : $ty:ty = $wire:literal),* $(,)? }) => {
        #[derive(Deserialize, Serialize)]
        pub struct $name {
            $(
                #[serde(rename = $wire, default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
        }
    };
}

/// A closed enum: `Variant = "wire"`.
macro_rules! closed_enum {
    ($name:ident { $($variant:ident = $wire:literal),* $(,)? }) => {
        #[derive(Deserialize, Serialize)]
        pub enum $name {
            $(
                #[serde(rename = $wire)]
                $variant,
            )*
        }
    };
}

closed_struct!(CommsNotifications {
    value: Vec<CommsNotification> = "value",
    odata_type: String = "@odata.type",
});

closed_struct!(CommsNotification {
    change_type: ChangeType = "changeType",
    resource_url: String = "resourceUrl",
    resource_data: Box<Call> = "resourceData",
    odata_type: String = "@odata.type",
});

closed_enum!(ChangeType {
    Created = "created",
    Updated = "updated",
    Deleted = "deleted",
});

closed_struct!(Call {
    id: String = "id",
    active_modalities: Vec<Modality> = "activeModalities",
    answered_by: ParticipantInfo = "answeredBy",
    callback_uri: String = "callbackUri",
    call_chain_id: String = "callChainId",
    call_options: CallOptions = "callOptions",
    call_routes: Vec<CallRoute> = "callRoutes",
    chat_info: ChatInfo = "chatInfo",
    direction: CallDirection = "direction",
    incoming_context: IncomingContext = "incomingContext",
    media_config: MediaConfig = "mediaConfig",
    media_state: CallMediaState = "mediaState",
    meeting_capability: MeetingCapability = "meetingCapability",
    meeting_info: MeetingInfo = "meetingInfo",
    my_participant_id: String = "myParticipantId",
    requested_modalities: Vec<Modality> = "requestedModalities",
    result_info: ResultInfo = "resultInfo",
    ringing_timeout_in_seconds: i32 = "ringingTimeoutInSeconds",
    routing_policies: Vec<RoutingPolicy> = "routingPolicies",
    source: ParticipantInfo = "source",
    state: CallState = "state",
    subject: String = "subject",
    targets: Vec<InvitationParticipantInfo> = "targets",
    tenant_id: String = "tenantId",
    termination_reason: String = "terminationReason",
    tone_info: ToneInfo = "toneInfo",
    transcription: CallTranscriptionInfo = "transcription",
    audio_routing_groups: Vec<AudioRoutingGroup> = "audioRoutingGroups",
    content_sharing_sessions: Vec<ContentSharingSession> = "contentSharingSessions",
    operations: Vec<CommsOperation> = "operations",
    participants: Vec<Participant> = "participants",
});

closed_struct!(ParticipantInfo {
    country_code: String = "countryCode",
    endpoint_type: EndpointType = "endpointType",
    identity: IdentitySet = "identity",
    language_id: String = "languageId",
    non_anonymized_identity: IdentitySet = "nonAnonymizedIdentity",
    participant_id: String = "participantId",
    platform_id: String = "platformId",
    region: String = "region",
});

closed_struct!(InvitationParticipantInfo {
    endpoint_type: EndpointType = "endpointType",
    hidden: bool = "hidden",
    identity: IdentitySet = "identity",
    participant_id: String = "participantId",
    remove_from_default_audio_routing_group: bool = "removeFromDefaultAudioRoutingGroup",
    replaces_call_id: String = "replacesCallId",
});

closed_struct!(IdentitySet {
    application: Identity = "application",
    device: Identity = "device",
    user: Identity = "user",
    odata_type: String = "@odata.type",
});

closed_struct!(Identity {
    display_name: String = "displayName",
    id: String = "id",
    odata_type: String = "@odata.type",
});

closed_struct!(CallOptions {
    hide_bot_after_escalation: bool = "hideBotAfterEscalation",
    is_content_sharing_notification_enabled: bool = "isContentSharingNotificationEnabled",
    is_delta_roster_enabled: bool = "isDeltaRosterEnabled",
    odata_type: String = "@odata.type",
});

closed_struct!(CallRoute {
    final_: IdentitySet = "final",
    original: IdentitySet = "original",
    routing_type: RoutingType = "routingType",
});

closed_struct!(ChatInfo {
    message_id: String = "messageId",
    reply_chain_message_id: String = "replyChainMessageId",
    thread_id: String = "threadId",
});

closed_struct!(IncomingContext {
    observed_participant_id: String = "observedParticipantId",
    on_behalf_of: IdentitySet = "onBehalfOf",
    source_participant_id: String = "sourceParticipantId",
    transferor: IdentitySet = "transferor",
});

closed_struct!(MediaConfig {
    remove_from_default_audio_group: bool = "removeFromDefaultAudioGroup",
    odata_type: String = "@odata.type",
});

closed_struct!(CallMediaState {
    audio: MediaState = "audio",
});

closed_struct!(MeetingCapability {
    allow_anonymous_users_to_dial_out: bool = "allowAnonymousUsersToDialOut",
    allow_anonymous_users_to_start_meeting: bool = "allowAnonymousUsersToStartMeeting",
    auto_admitted_users: AutoAdmittedUsersType = "autoAdmittedUsers",
});

closed_struct!(MeetingInfo {
    allow_conversation_without_host: bool = "allowConversationWithoutHost",
    odata_type: String = "@odata.type",
});

closed_struct!(ResultInfo {
    code: i32 = "code",
    message: String = "message",
    subcode: i32 = "subcode",
});

closed_struct!(ToneInfo {
    sequence_id: i64 = "sequenceId",
    tone: Tone = "tone",
});

closed_struct!(CallTranscriptionInfo {
    last_modified_date_time: String = "lastModifiedDateTime",
    state: CallTranscriptionState = "state",
});

closed_struct!(AudioRoutingGroup {
    id: String = "id",
    receivers: Vec<String> = "receivers",
    routing_mode: RoutingMode = "routingMode",
    sources: Vec<String> = "sources",
});

closed_struct!(ContentSharingSession { id: String = "id" });

closed_struct!(CommsOperation {
    id: String = "id",
    client_context: String = "clientContext",
    result_info: ResultInfo = "resultInfo",
    status: OperationStatus = "status",
});

closed_struct!(Participant {
    id: String = "id",
    info: ParticipantInfo = "info",
    is_identity_anonymized: bool = "isIdentityAnonymized",
    is_in_lobby: bool = "isInLobby",
    is_muted: bool = "isMuted",
    media_streams: Vec<MediaStream> = "mediaStreams",
    metadata: String = "metadata",
    preferred_display_name: String = "preferredDisplayName",
    recording_info: RecordingInfo = "recordingInfo",
    removed_state: RemovedState = "removedState",
    restricted_experience: OnlineMeetingRestricted = "restrictedExperience",
    roster_sequence_number: i64 = "rosterSequenceNumber",
});

closed_struct!(MediaStream {
    direction: MediaDirection = "direction",
    label: String = "label",
    media_type: Modality = "mediaType",
    server_muted: bool = "serverMuted",
    source_id: String = "sourceId",
});

closed_struct!(RecordingInfo {
    initiated_by: ParticipantInfo = "initiatedBy",
    initiator: IdentitySet = "initiator",
    recording_status: RecordingStatus = "recordingStatus",
});

closed_struct!(RemovedState {
    reason: String = "reason"
});

closed_struct!(OnlineMeetingRestricted {
    content_sharing_disabled: OnlineMeetingContentSharingDisabledReason = "contentSharingDisabled",
    video_disabled: OnlineMeetingVideoDisabledReason = "videoDisabled",
});

closed_enum!(Modality {
    Unknown = "unknown",
    Audio = "audio",
    Video = "video",
    VideoBasedScreenSharing = "videoBasedScreenSharing",
    Data = "data",
    UnknownFutureValue = "unknownFutureValue",
});

closed_enum!(CallDirection {
    Incoming = "incoming",
    Outgoing = "outgoing",
});

closed_enum!(CallState {
    Incoming = "incoming",
    Establishing = "establishing",
    Ringing = "ringing",
    Established = "established",
    Hold = "hold",
    Transferring = "transferring",
    TransferAccepted = "transferAccepted",
    Redirecting = "redirecting",
    Terminating = "terminating",
    Terminated = "terminated",
    UnknownFutureValue = "unknownFutureValue",
});

closed_enum!(EndpointType {
    Default = "default",
    Voicemail = "voicemail",
    SkypeForBusiness = "skypeForBusiness",
    SkypeForBusinessVoipPhone = "skypeForBusinessVoipPhone",
    UnknownFutureValue = "unknownFutureValue",
});

closed_enum!(RoutingType {
    Forwarded = "forwarded",
    Lookup = "lookup",
    SelfFork = "selfFork",
    UnknownFutureValue = "unknownFutureValue",
});

closed_enum!(RoutingPolicy {
    None = "none",
    NoMissedCall = "noMissedCall",
    DisableForwardingExceptPhone = "disableForwardingExceptPhone",
    DisableForwarding = "disableForwarding",
    PreferSkypeForBusiness = "preferSkypeForBusiness",
    UnknownFutureValue = "unknownFutureValue",
});

closed_enum!(MediaState {
    Active = "active",
    Inactive = "inactive",
    UnknownFutureValue = "unknownFutureValue",
});

closed_enum!(AutoAdmittedUsersType {
    EveryoneInCompany = "everyoneInCompany",
    Everyone = "everyone",
});

closed_enum!(Tone {
    Tone0 = "tone0",
    Tone1 = "tone1",
    Tone2 = "tone2",
    Tone3 = "tone3",
    Tone4 = "tone4",
    Tone5 = "tone5",
    Tone6 = "tone6",
    Tone7 = "tone7",
    Tone8 = "tone8",
    Tone9 = "tone9",
    Star = "star",
    Pound = "pound",
    A = "a",
    B = "b",
    C = "c",
    D = "d",
    Flash = "flash",
});

closed_enum!(CallTranscriptionState {
    NotStarted = "notStarted",
    Active = "active",
    Inactive = "inactive",
    UnknownFutureValue = "unknownFutureValue",
});

closed_enum!(RoutingMode {
    OneToOne = "oneToOne",
    Multicast = "multicast",
});

closed_enum!(OperationStatus {
    NotStarted = "NotStarted",
    Running = "Running",
    Completed = "Completed",
    Failed = "Failed",
});

closed_enum!(MediaDirection {
    Inactive = "inactive",
    SendOnly = "sendOnly",
    ReceiveOnly = "receiveOnly",
    SendReceive = "sendReceive",
});

closed_enum!(RecordingStatus {
    Unknown = "unknown",
    NotRecording = "notRecording",
    Recording = "recording",
    Failed = "failed",
    UnknownFutureValue = "unknownFutureValue",
});

closed_enum!(OnlineMeetingContentSharingDisabledReason {
    WatermarkProtection = "watermarkProtection",
    UnknownFutureValue = "unknownFutureValue",
});

closed_enum!(OnlineMeetingVideoDisabledReason {
    WatermarkProtection = "watermarkProtection",
    UnknownFutureValue = "unknownFutureValue",
});
