// The error vocabulary shared by both ends: codes travel in REJECT and ERROR frames,
// decode failures stay local and say where in the frame they happened.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace lottery::protocol {

// Wire values are fixed: never renumber, only append.
enum class ErrorCode : std::uint16_t {
    MalformedFrame = 1, // the bytes do not decode (see DecodeError)
    FrameTooLarge = 2, // length prefix above kMaxFrameSize
    UnknownMessageType = 3, // type byte we do not know
    UnsupportedVersion = 4, // HELLO with another protocol version
    UnexpectedMessage = 5, // a valid message at the wrong moment (e.g. BATCH before HELLO)
    InvalidAgency = 6, // agency number outside 1..N
    InvalidBet = 7, // a bet breaks the bet rules; the whole batch is refused
    SequenceGap = 8, // batch sequence number skips ahead of the next expected one
    BatchAfterDone = 9, // the agency already said DONE
    StorageFailure = 10, // the server could not store the batch durably; nothing was acknowledged
    AuthenticationFailed = 11, // missing or wrong credentials
    ServerBusy = 12, // a server limit (connections, queue) was reached
    ShuttingDown = 13, // the server is stopping; retry later
    Timeout = 14, // the peer was too slow (idle, or a frame not completed in time)
    Superseded = 15, // a newer session for the same agency replaced this one
    Internal = 16, // a bug on the sending side
    SequenceConflict = 17, // a stored sequence resent with other content (bet count or CRC)
    // Version 2 only (a version-1 session gets BatchAfterDone instead): sales are closed, the
    // batch was not stored; the bets stored before the close are in the draw.
    SalesClosed = 18,
    // Version 2 only (a version-1 session gets InvalidAgency instead): the operator disabled
    // this agency before the close of sales; its stored bets stay. Sent in ERROR at HELLO, or to
    // a connected session once its batch in flight is answered.
    AgencyDisabled = 19,
};

inline const char *toString(ErrorCode code)
{
    switch (code) {
    case ErrorCode::MalformedFrame: return "malformed_frame";
    case ErrorCode::FrameTooLarge: return "frame_too_large";
    case ErrorCode::UnknownMessageType: return "unknown_message_type";
    case ErrorCode::UnsupportedVersion: return "unsupported_version";
    case ErrorCode::UnexpectedMessage: return "unexpected_message";
    case ErrorCode::InvalidAgency: return "invalid_agency";
    case ErrorCode::InvalidBet: return "invalid_bet";
    case ErrorCode::SequenceGap: return "sequence_gap";
    case ErrorCode::BatchAfterDone: return "batch_after_done";
    case ErrorCode::StorageFailure: return "storage_failure";
    case ErrorCode::AuthenticationFailed: return "authentication_failed";
    case ErrorCode::ServerBusy: return "server_busy";
    case ErrorCode::ShuttingDown: return "shutting_down";
    case ErrorCode::Timeout: return "timeout";
    case ErrorCode::Superseded: return "superseded";
    case ErrorCode::Internal: return "internal";
    case ErrorCode::SequenceConflict: return "sequence_conflict";
    case ErrorCode::SalesClosed: return "sales_closed";
    case ErrorCode::AgencyDisabled: return "agency_disabled";
    }
    return "unknown_error";
}

inline bool isKnownErrorCode(std::uint16_t value)
{
    return value >= 1 && value <= static_cast<std::uint16_t>(ErrorCode::AgencyDisabled);
}

// Why a frame failed to decode. Local only: the peer gets ErrorCode::MalformedFrame with the text.
enum class DecodeErrorKind {
    FrameTooLarge, // length prefix above the limit (checked before anything is buffered)
    EmptyFrame, // length prefix 0: not even a type byte
    UnknownType, // type byte not in MessageType
    Truncated, // a field runs past the end of the frame
    TrailingBytes, // bytes left after the last field
    InvalidUtf8, // a text field is not valid UTF-8
    InvalidValue, // a field holds a value its type forbids (count 0, flag 2, unknown code)
};

inline const char *toString(DecodeErrorKind kind)
{
    switch (kind) {
    case DecodeErrorKind::FrameTooLarge: return "frame too large";
    case DecodeErrorKind::EmptyFrame: return "empty frame";
    case DecodeErrorKind::UnknownType: return "unknown message type";
    case DecodeErrorKind::Truncated: return "truncated field";
    case DecodeErrorKind::TrailingBytes: return "trailing bytes";
    case DecodeErrorKind::InvalidUtf8: return "invalid UTF-8";
    case DecodeErrorKind::InvalidValue: return "invalid value";
    }
    return "unknown decode error";
}

struct DecodeError {
    DecodeErrorKind kind;
    std::size_t offset; // byte offset inside the frame (0 = first byte of the length prefix)
    std::string detail; // which field, in words

    std::string toString() const
    {
        return std::string(protocol::toString(kind)) + " at byte " + std::to_string(offset) + ": "
            + detail;
    }

    ErrorCode wireCode() const
    {
        if (kind == DecodeErrorKind::FrameTooLarge)
            return ErrorCode::FrameTooLarge;
        if (kind == DecodeErrorKind::UnknownType)
            return ErrorCode::UnknownMessageType;
        return ErrorCode::MalformedFrame;
    }
};

} // namespace lottery::protocol
