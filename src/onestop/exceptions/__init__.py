"""Every exception onestop raises derives from `OnestopError`.

The tree::

    OnestopError
    ├── ConfigurationError              a setting or wiring is wrong (unknown store URL scheme, ...)
    │   └── KeyFileError                    `.path`, `.reason`: a key file unsafe or malformed
    ├── TransientError                  marker: retrying later may succeed (`stamina.retry(on=...)`)
    ├── InvalidValue (ValueError)       `.field`, `.reason`: a value or an argument, in any area
    │   └── AmountTooPrecise                `.currency`, `.minor_units`: decimals beyond the unit
    ├── ApplicationError                an application command was refused; nothing was recorded
    │   ├── InvalidApplication (ValueError) `.problems`: every field problem, values never quoted
    │   ├── ChannelNotOffered (LookupError) `.service`, `.channel`, `.offered`
    │   ├── CommandRefused              `.command`, `.reason`: not possible in its state now
    │   └── IdempotencyConflict         `.application_id`: the key was used with another payload
    ├── ConcurrencyConflict             `.stream_id`, `.expected`, `.actual`: reload and retry
    │   └── HeadMoved                       a history rewrite refused: the stream's head moved
    ├── InvalidStoreInput (ValueError)  `.field`, `.reason`: a store refused a record or argument
    ├── StorageError                    a storage adapter failed; the driver error is in __cause__
    │   └── StorageUnavailable (TransientError) the store cannot be reached now
    ├── CatalogueError                  a catalogue could not be read or is not valid
    │   ├── CatalogueReadError (OSError)    a path is missing or unreadable; `.path`
    │   ├── InvalidCatalogue (ValueError)   `.problems` lists every `Problem` found
    │   └── RuleSyntaxError (ValueError)    a requirement's condition does not parse
    ├── CalendarError                   a work calendar or an SLA clock was given bad input
    │   ├── InvalidCalendar (ValueError)    `.field`, `.reason`: a calendar, closure or pause
    │   │   └── DateOutOfRange              an instant or answer beyond 1..9999, or a count too long
    │   ├── NaiveDatetime (ValueError)      `.argument`: a datetime has no time zone
    │   └── UnsupportedCountry (LookupError) `.country`, `.supported`: no calendar for it
    ├── PartyError                      an applicant's or representative's data is not valid
    │   ├── InvalidIdentityNumber (ValueError) `.scheme`, `.problems`; never quotes the number
    │   └── UnknownIdentityScheme (LookupError) `.scheme`, `.known`: no validator for it
    ├── AuditError                      the audit hash chain got bad input, or is broken
    │   ├── NotCanonical (ValueError)       `.path`, `.reason`: no canonical encoding (a float...)
    │   ├── ChainError (ValueError)         `.problem`: a hash, version or checkpoint is malformed
    │   │   └── ChainBroken                 `.index`, `.version`: entries do not link up
    │   └── CheckpointError                 a signed checkpoint of chain heads: made, read, trusted
    │       ├── InvalidCheckpoint (ValueError) `.path`, `.reason`: not a well-formed checkpoint file
    │       ├── CheckpointSignatureInvalid  `.reason`: not signed by the trusted key, or forged
    │       ├── CheckpointRefused           `.stream`, `.problem`: a chain is broken, none is signed
    │       └── SigningKeyError             `.path`, `.reason`: a key file missing, open to all
    ├── TransportError                  a message could not be signed, delivered or accepted
    │   ├── InvalidWebhookInput (ValueError) `.argument`, `.reason`: unusable secret, id or setting
    │   ├── WebhookVerificationError (ValueError) `.reason`, `.header`: an inbound webhook refused
    │   ├── DeliveryFailed (TransientError) `.message_id`, `.status`, `.retry_after`: retry later
    │   │   ├── DeliveryTimeout (TimeoutError)  the receiver did not answer in time
    │   │   └── CircuitOpen                 `.upstream`, `.retry_after`: an upstream left alone
    │   ├── DeliveryRejected                `.message_id`, `.status`: refused for good (4xx)
    │   ├── EndpointDisabled                `.destination`, `.reason`: gone (410) or failing
    │   ├── EndpointNotAllowed              `.destination`, `.address`: not public (SSRF)
    │   ├── HostNotResolved (OSError)       `.host`, `.reason`: a name resolved to no address
    │   └── CallbackRefused (ValueError)    `.reason`: a signed agency callback makes no sense
    ├── CourierError                    a courier job or custody command was refused
    │   ├── InvalidPacket (ValueError)      `.seal_id`, `.problems`: a packet does not add up
    │   ├── JobRefused                      `.job_id`, `.command`, `.status`, `.reason`
    │   │   └── AlreadyClaimed              another claim on the job was accepted first
    │   ├── TimeWentBackwards               `.at`, `.latest`: not after the latest recorded instant
    │   └── CustodyError                    a handoff was refused; custody and ledger unchanged
    │       ├── NotCustodian                `.seal_id`, `.party`: the giver does not hold the packet
    │       ├── CourierNotAssigned          `.courier_id`, `.job_id`: not the job's courier
    │       ├── AlreadyDelivered            `.seal_id`: nothing may follow a delivery
    │       ├── HandoffRefused              `.reason`: a confirmation missing, an id repeated, ...
    │       └── CodeRejected                `.handoff_id`: a citizen's one-time code does not fit
    │           ├── WrongCode               the code does not match the one issued
    │           ├── CodeAlreadyUsed         the code was used already: a replay
    │           ├── CodeExpired             `.expired_at`: the code's lifetime is over
    │           ├── CodeForAnotherHandoff   the code was issued for another handoff
    │           ├── CodeForAnotherApplication  the code was issued for another application
    │           ├── CodeNotIssued           no code is on record for this handoff
    │           └── TooManyWrongCodes       locked after too many wrong codes; issue a new one
    ├── DocumentError                   an upload was refused; nothing was kept
    │   ├── DocumentTooLarge (ValueError)   `.limit`, `.size`: read stopped at limit + 1 bytes
    │   ├── UnsupportedMediaType (ValueError) `.declared`, `.sniffed`, `.reason`: not allowed, lying
    │   ├── MalformedDocument (ValueError)  `.media_type`, `.reason`: truncated or broken structure
    │   ├── MalwareFound                    `.scanner`, `.signature`: the scanner found something
    │   └── ScannerUnavailable (TransientError) `.reason`: the scanner failed; nothing kept
    ├── IdentityProviderError           `.issuer`, `.reason`: an identity provider failed or refused
    │   ├── IdentityProviderUnavailable (TransientError) not reachable now, or a server error
    │   └── IdentityNotVerified             `.check`: a sign-in's answer failed a check; refused
    ├── PrivacyError                    personal data could not be sealed, opened or erased
    │   ├── KeyUnavailable                  `.key_id`, `.reason`: a master key missing; KMS down
    │   ├── PersonalDataErased              `.subject`: the value was erased (crypto-shredded)
    │   └── ErasureRefused                  `.application_id`, `.rule`, `.detail`
    ├── NotFound (LookupError)
    │   ├── AccountNotFound (StaffError)    `.account_id`: no such staff account
    │   ├── AgencyNotFound                  `.code`
    │   ├── CatalogueVersionNotFound        `.version`: no such published catalogue version
    │   ├── ApplicationNotFound             `.reference`: no such id (or number and secret)
    │   ├── DocumentNotFound                `.document_id`: no such document, or swept away
    │   ├── JobNotFound                     `.job_id`: no such courier job
    │   ├── PacketNotFound                  `.seal_id`: no packet sealed with this id
    │   ├── ServiceNotFound                 `.code`, `.at`
    │   ├── StateNotFound                   `.workflow`, `.state`: the workflow has no such state
    │   └── WorkflowNotFound                `.code`
    │       └── WorkflowVersionNotFound     `.version`, `.known`: no such version of it
    ├── WorkflowError
    │   ├── InvalidWorkflow (ValueError)    `.workflow`, `.problems`
    │   ├── TransitionNotAllowed            `.workflow`, `.state`, `.action`, `.reason`, `.allowed`
    │   │   ├── RoleNotAllowed              `.agency`: no role of the action in the agency
    │   │   ├── GuardFailed                 `.guard`; a guard refused, with its explanation
    │   │   ├── SeparationOfDutiesViolation `.actor`, `.earlier_action`
    │   │   └── MissingInput                `.missing`: required inputs not given
    │   ├── UnknownGuard (LookupError)      `.guard`: no guard of that name is registered
    │   ├── MigrationError (ValueError)     `.problems`: a migration plan does not fit
    │   └── WorkflowVersionConflict (ValueError) `.code`, `.version`: a published version differs
    ├── StaffError                      a staff account command or a sign-in was refused
    │   ├── AccountExists                   `.account_id`: the id is taken
    │   ├── AccountLocked                   `.retry_after`: too many failed sign-ins lately
    │   ├── NotAuthorised                   `.action`, `.reason`: this member of staff may not
    │   ├── SecondFactorRequired            the password is right; a one-time code is needed
    │   ├── SignInRefused                   the account, password or code is not right (one answer)
    │   └── WeakPassword (ValueError)       `.reason`: a new password fails the policy
    └── WebError                        an HTTP request to the online mall was refused
        ├── InvalidRequest (ValueError)     `.problems`, `.status`: a body, header or parameter
        ├── NotAuthenticated                no credential, or one not known
        ├── CsrfRefused                     a signed-in browser's change without its CSRF token
        ├── SubmissionInProgress            the same Idempotency-Key is being submitted now
        ├── Throttled                       `.limit`, `.retry_after`: too many for now
        └── VersionMismatch                 `.expected`, `.actual`: If-Match names an old version

Every error carries typed attributes; its message is built from them and never contains
personal data.  Catch `OnestopError` to catch everything onestop raises.

Each family is written in a private module of this package, by area; every class is
imported from here, and names this module as its own, so reprs, pickles and the API
reference say ``onestop.exceptions``.  ``tests/test_exceptions.py`` checks that the tree
above is the real class hierarchy.
"""

from __future__ import annotations

from onestop.exceptions._applications import (
    ApplicationError,
    ApplicationNotFound,
    ChannelNotOffered,
    CommandRefused,
    IdempotencyConflict,
    InvalidApplication,
)
from onestop.exceptions._base import (
    ConcurrencyConflict,
    ConfigurationError,
    HeadMoved,
    InvalidStoreInput,
    NotFound,
    OnestopError,
    Problem,
    StorageError,
    StorageUnavailable,
    TransientError,
)
from onestop.exceptions._catalogue import (
    AgencyNotFound,
    CatalogueError,
    CatalogueReadError,
    CatalogueVersionNotFound,
    InvalidCatalogue,
    RuleSyntaxError,
    ServiceNotFound,
)
from onestop.exceptions._checkpoints import (
    CheckpointError,
    CheckpointRefused,
    CheckpointSignatureInvalid,
    InvalidCheckpoint,
    SigningKeyError,
)
from onestop.exceptions._courier import (
    AlreadyClaimed,
    AlreadyDelivered,
    CodeAlreadyUsed,
    CodeExpired,
    CodeForAnotherApplication,
    CodeForAnotherHandoff,
    CodeNotIssued,
    CodeRejected,
    CourierError,
    CourierNotAssigned,
    CustodyError,
    HandoffRefused,
    InvalidPacket,
    JobNotFound,
    JobRefused,
    NotCustodian,
    PacketNotFound,
    TimeWentBackwards,
    TooManyWrongCodes,
    WrongCode,
)
from onestop.exceptions._documents import (
    DocumentError,
    DocumentNotFound,
    DocumentTooLarge,
    MalformedDocument,
    MalwareFound,
    ScannerUnavailable,
    UnsupportedMediaType,
)
from onestop.exceptions._identity import IdentityCheck as _IdentityCheck
from onestop.exceptions._identity import (
    IdentityNotVerified,
    IdentityProviderError,
    IdentityProviderUnavailable,
)
from onestop.exceptions._privacy import (
    ErasureRefused,
    KeyFileError,
    KeyUnavailable,
    PersonalDataErased,
    PrivacyError,
)
from onestop.exceptions._staff import (
    AccountExists,
    AccountLocked,
    AccountNotFound,
    NotAuthorised,
    SecondFactorRequired,
    SignInRefused,
    StaffError,
    WeakPassword,
)
from onestop.exceptions._transport import (
    CallbackRefused,
    CircuitOpen,
    DeliveryFailed,
    DeliveryRejected,
    DeliveryTimeout,
    EndpointDisabled,
    EndpointNotAllowed,
    HostNotResolved,
    InvalidWebhookInput,
    TransportError,
    WebhookVerificationError,
)
from onestop.exceptions._transport import WebhookRefusal as _WebhookRefusal
from onestop.exceptions._values import (
    AmountTooPrecise,
    AuditError,
    CalendarError,
    ChainBroken,
    ChainError,
    DateOutOfRange,
    InvalidCalendar,
    InvalidIdentityNumber,
    InvalidValue,
    NaiveDatetime,
    NotCanonical,
    PartyError,
    UnknownIdentityScheme,
    UnsupportedCountry,
)
from onestop.exceptions._web import (
    CsrfRefused,
    InvalidRequest,
    NotAuthenticated,
    SubmissionInProgress,
    Throttled,
    VersionMismatch,
    WebError,
)
from onestop.exceptions._workflow import (
    GuardFailed,
    InvalidWorkflow,
    MigrationError,
    MissingInput,
    RoleNotAllowed,
    SeparationOfDutiesViolation,
    StateNotFound,
    TransitionNotAllowed,
    UnknownGuard,
    WorkflowError,
    WorkflowNotFound,
    WorkflowVersionConflict,
    WorkflowVersionNotFound,
)

#: Why `WebhookVerificationError` refused a webhook.
WebhookRefusal = _WebhookRefusal

#: Which check a sign-in through an identity provider failed (`IdentityNotVerified.check`).
IdentityCheck = _IdentityCheck

__all__ = [
    "AccountExists",
    "AccountLocked",
    "AccountNotFound",
    "AgencyNotFound",
    "AlreadyClaimed",
    "AlreadyDelivered",
    "AmountTooPrecise",
    "ApplicationError",
    "ApplicationNotFound",
    "AuditError",
    "CalendarError",
    "CallbackRefused",
    "CatalogueError",
    "CatalogueReadError",
    "CatalogueVersionNotFound",
    "ChainBroken",
    "ChainError",
    "ChannelNotOffered",
    "CheckpointError",
    "CheckpointRefused",
    "CheckpointSignatureInvalid",
    "CircuitOpen",
    "CodeAlreadyUsed",
    "CodeExpired",
    "CodeForAnotherApplication",
    "CodeForAnotherHandoff",
    "CodeNotIssued",
    "CodeRejected",
    "CommandRefused",
    "ConcurrencyConflict",
    "ConfigurationError",
    "CourierError",
    "CourierNotAssigned",
    "CsrfRefused",
    "CustodyError",
    "DateOutOfRange",
    "DeliveryFailed",
    "DeliveryRejected",
    "DeliveryTimeout",
    "DocumentError",
    "DocumentNotFound",
    "DocumentTooLarge",
    "EndpointDisabled",
    "EndpointNotAllowed",
    "ErasureRefused",
    "GuardFailed",
    "HandoffRefused",
    "HeadMoved",
    "HostNotResolved",
    "IdempotencyConflict",
    "IdentityCheck",
    "IdentityNotVerified",
    "IdentityProviderError",
    "IdentityProviderUnavailable",
    "InvalidApplication",
    "InvalidCalendar",
    "InvalidCatalogue",
    "InvalidCheckpoint",
    "InvalidIdentityNumber",
    "InvalidPacket",
    "InvalidRequest",
    "InvalidStoreInput",
    "InvalidValue",
    "InvalidWebhookInput",
    "InvalidWorkflow",
    "JobNotFound",
    "JobRefused",
    "KeyFileError",
    "KeyUnavailable",
    "MalformedDocument",
    "MalwareFound",
    "ScannerUnavailable",
    "MigrationError",
    "MissingInput",
    "NaiveDatetime",
    "NotAuthenticated",
    "NotAuthorised",
    "NotCanonical",
    "NotCustodian",
    "NotFound",
    "OnestopError",
    "PacketNotFound",
    "PartyError",
    "PersonalDataErased",
    "PrivacyError",
    "Problem",
    "RoleNotAllowed",
    "RuleSyntaxError",
    "SecondFactorRequired",
    "SeparationOfDutiesViolation",
    "ServiceNotFound",
    "SigningKeyError",
    "SignInRefused",
    "StaffError",
    "StateNotFound",
    "StorageError",
    "StorageUnavailable",
    "SubmissionInProgress",
    "Throttled",
    "TimeWentBackwards",
    "TooManyWrongCodes",
    "TransientError",
    "TransitionNotAllowed",
    "TransportError",
    "UnknownGuard",
    "UnknownIdentityScheme",
    "UnsupportedCountry",
    "UnsupportedMediaType",
    "VersionMismatch",
    "WeakPassword",
    "WebError",
    "WebhookRefusal",
    "WebhookVerificationError",
    "WorkflowError",
    "WorkflowNotFound",
    "WorkflowVersionConflict",
    "WorkflowVersionNotFound",
    "WrongCode",
]


# Every class above is written in a private module, but belongs here: its __module__ names
# this package, so that reprs, pickles, tracebacks and the API reference show the public
# path (``onestop.exceptions.InvalidValue``).  tests/test_exceptions.py checks each one.
for _name in __all__:
    _value = globals()[_name]
    if isinstance(_value, type):
        _value.__module__ = __name__
del _name, _value
