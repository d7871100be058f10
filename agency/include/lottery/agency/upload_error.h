// Why an upload ended without the winners, and what the agency does on each server error code.
// A failure is a kind (a local cause, or "the server said so") plus, when the server said so, its
// protocol::ErrorCode: callers map those to their own messages and never parse `message`.
#pragma once

#include "lottery/protocol/errors.h"

#include <QAbstractSocket>
#include <QList>
#include <QMetaType>
#include <QString>

#include <optional>

namespace lottery::agency {

// A bet the server stores for the agency that no valid row of its file is any more (found by
// listing the stored bets, protocol version 2): what the clerk must put back.
struct MissingStoredBet {
    quint64 index = 0; // its place among the agency's stored bets, 0-based (a person reads + 1)
    QString firstName;
    QString lastName;
    QString document;
    QString birthdate;
    quint16 number = 0;
    // The file line of the stored bet found just before it (where it sat), 0: none before it.
    qint64 afterLine = 0;
};

struct UploadError {
    Q_GADGET
public:
    enum class Kind {
        None,
        InvalidOptions, // bad AgencySessionOptions (or token)
        FileError, // the data file cannot be opened or read
        WrongFile, // the server stores more of this agency's bets than the file has valid rows
        ConnectTimeout, // no server of the list answered within the connect / reconnect timeout
        TlsError, // the CA file is unusable, or a server failed TLS verification (not retried)
        ConnectionLost, // a server closed the connection, or a socket error after connecting
        ResponseTimeout, // a server did not answer within responseTimeout / drawTimeout
        ProtocolViolation, // malformed frame or unexpected message from the server
        VersionMismatch, // the server speaks another protocol version (WELCOME or ERROR 4)
        AcknowledgedBetsLost, // a WELCOME with fewer bets than were acknowledged
        ServerError, // the server sent ERROR: code
        BatchRejected, // the server sent REJECT: code, rejectedSequence
        ResyncLimit, // resynchronised from WELCOME kMaxResyncs times and still conflicting: code
        // Protocol version 2: some bets the server stores for this agency are not rows of this
        // file (missingStoredBets names them): nothing is sent, nothing is closed.
        StoredBetsDiffer,
        // Protocol version 2: a RECEIPT's count or digest differs from what was sent: the server
        // stored something else. An alarm, not a retry.
        ReceiptMismatch,
        // Protocol version 2: the sealed draw's head of this agency is not its last receipt.
        SealMismatch,
        // The whole file looks wrong (AgencySessionOptions::withholdDoneIfSuspicious): its valid
        // rows were sent and stored, DONE was not, so the agency is not closed.
        SuspiciousFile,
    };
    Q_ENUM(Kind)

    Kind kind = Kind::None;
    std::optional<protocol::ErrorCode> code; // the server's code (ServerError, BatchRejected...)
    QString message; // technical detail for logs; never parsed
    quint64 rejectedSequence = 0; // BatchRejected
    // The agency's bets the server holds, as far as this upload knows (its last receipt or
    // WELCOME plus what was acknowledged since): what a person is told counts, e.g. after
    // sales_closed.
    quint64 storedBets = 0;
    QString server; // "host:port" the failure concerns, empty when none
    quint32 agency = 0; // the agency number the upload is for (0: not known yet)
    // ConnectTimeout: the last socket error (ConnectionRefusedError, HostNotFoundError...).
    QAbstractSocket::SocketError socketError = QAbstractSocket::UnknownSocketError;
    // StoredBetsDiffer: how many stored bets the file lacks, and the first of them.
    quint64 missingStoredCount = 0;
    QList<MissingStoredBet> missingStoredBets;

    bool isError() const { return kind != Kind::None; }
};

// What the agency does when the server sends `code` in an ERROR or a REJECT (docs/PROTOCOL.md,
// "What the agency does on each code").
enum class RetryRule {
    Fail, // the same request would get the same answer: report it
    NextServer, // a transient server state: reconnect to the next address and resume
    Resync, // our view of what is stored is stale: new HELLO to the same server, resume
};

inline RetryRule retryRuleFor(protocol::ErrorCode code)
{
    using protocol::ErrorCode;
    switch (code) {
    case ErrorCode::StorageFailure:
    case ErrorCode::ServerBusy:
    case ErrorCode::ShuttingDown:
    case ErrorCode::Timeout: return RetryRule::NextServer;
    case ErrorCode::SequenceGap:
    case ErrorCode::SequenceConflict: return RetryRule::Resync;
    case ErrorCode::MalformedFrame:
    case ErrorCode::FrameTooLarge:
    case ErrorCode::UnknownMessageType:
    case ErrorCode::UnsupportedVersion:
    case ErrorCode::UnexpectedMessage:
    case ErrorCode::InvalidAgency:
    case ErrorCode::InvalidBet:
    case ErrorCode::BatchAfterDone:
    case ErrorCode::AuthenticationFailed:
    case ErrorCode::Superseded:
    case ErrorCode::Internal:
    case ErrorCode::SalesClosed:
    // The operator decides when it is enabled again: retrying would only be refused again.
    case ErrorCode::AgencyDisabled: return RetryRule::Fail;
    }
    return RetryRule::Fail;
}

// Resynchronisations (RetryRule::Resync) allowed in one upload before it fails (ResyncLimit).
constexpr int kMaxResyncs = 3;

} // namespace lottery::agency

Q_DECLARE_METATYPE(lottery::agency::UploadError)
