#include "user_messages.h"

#include <QRegularExpression>

namespace lottery::gui {

QString UserMessages::forErrorCode(protocol::ErrorCode code)
{
    using protocol::ErrorCode;
    switch (code) {
    case ErrorCode::MalformedFrame:
        return tr("The server could not understand what this app sent. Update the app; if it "
                  "keeps happening, tell the lottery's support.");
    case ErrorCode::FrameTooLarge:
        return tr("The app sent a message larger than the server accepts. Try a smaller batch "
                  "size.");
    case ErrorCode::UnknownMessageType:
        return tr("The server does not know a message this app sent: the app and the server "
                  "are of different versions.");
    case ErrorCode::UnsupportedVersion:
        return tr("This app and the server speak different protocol versions. Install the "
                  "version of the app the lottery asks for.");
    case ErrorCode::UnexpectedMessage:
        return tr("The server received a message at the wrong moment. Press Retry; if it keeps "
                  "happening, tell the lottery's support.");
    case ErrorCode::InvalidAgency:
        return tr("The server does not know this agency number. Check the agency number.");
    case ErrorCode::InvalidBet:
        return tr("The server refused a bet of the file. Check the file's invalid rows.");
    case ErrorCode::SequenceGap:
        return tr("The server kept missing a batch of this upload, even after starting again "
                  "from what it stored. Tell the lottery's support.");
    case ErrorCode::BatchAfterDone:
        return tr("This agency already finished its upload; the server takes no more bets from "
                  "it.");
    case ErrorCode::StorageFailure:
        return tr("The server could not store the bets safely; nothing of the failed batch was "
                  "kept. Try again later.");
    case ErrorCode::AuthenticationFailed:
        return tr("The server refused the agency's token. Check the token file.");
    case ErrorCode::ServerBusy:
        return tr("The server is busy with too many agencies. Try again in a few minutes.");
    case ErrorCode::ShuttingDown:
        return tr("The server is shutting down. Try again in a few minutes.");
    case ErrorCode::Timeout:
        return tr("The server closed the connection because this app was too slow. Check the "
                  "network and press Retry.");
    case ErrorCode::Superseded: return tr("Another upload of the same agency replaced this one.");
    case ErrorCode::Internal:
        return tr("The server had an internal error. Tell the lottery's support.");
    case ErrorCode::SequenceConflict:
        return tr("The server holds other bets under this upload's batch numbers, even after "
                  "starting again from what it stored. Check that this is the file that was "
                  "uploaded, then tell the lottery's support.");
    }
    return tr("The server reported an unknown error (code %1).").arg(static_cast<int>(code));
}

QString UserMessages::titleForErrorCode(protocol::ErrorCode code)
{
    using protocol::ErrorCode;
    switch (code) {
    case ErrorCode::MalformedFrame:
    case ErrorCode::FrameTooLarge:
    case ErrorCode::UnknownMessageType:
    case ErrorCode::UnexpectedMessage: return tr("The server did not understand this agency");
    case ErrorCode::UnsupportedVersion: return tr("Protocol version mismatch");
    case ErrorCode::InvalidAgency: return tr("Agency refused by the server");
    case ErrorCode::InvalidBet: return tr("Batch rejected by the server");
    case ErrorCode::SequenceGap:
    case ErrorCode::SequenceConflict: return tr("The server's record of this agency changed");
    case ErrorCode::BatchAfterDone: return tr("This agency's upload is already closed");
    case ErrorCode::StorageFailure: return tr("The server could not store the bets");
    case ErrorCode::AuthenticationFailed: return tr("Agency token refused");
    case ErrorCode::ServerBusy: return tr("The server is busy");
    case ErrorCode::ShuttingDown: return tr("The server is stopping");
    case ErrorCode::Timeout: return tr("The server gave up waiting");
    case ErrorCode::Superseded: return tr("Another upload of this agency took over");
    case ErrorCode::Internal: return tr("Error in the server");
    }
    return tr("Error from the server");
}

UserMessage UserMessages::forError(const agency::UploadError &error)
{
    using Kind = agency::UploadError::Kind;
    const auto fromCode = [](protocol::ErrorCode code) {
        return UserMessage {titleForErrorCode(code), forErrorCode(code)};
    };
    switch (error.kind) {
    case Kind::InvalidOptions:
        return {tr("Invalid settings"), tr("Some settings are not valid. Check them.")};
    case Kind::FileError:
        return {tr("Cannot read the bets file"),
            tr("The bets file cannot be read. Check that it exists.")};
    case Kind::WrongFile:
        return {tr("Wrong bets file"),
            tr("The server already holds more bets of this agency than this file has. Check "
               "the agency number and the file.")};
    case Kind::ConnectTimeout:
        if (error.code) // gave up on an outage a server's code started (storage_failure...)
            return fromCode(*error.code);
        if (error.socketError == QAbstractSocket::HostNotFoundError)
            return {tr("Server unreachable"),
                tr("The server's name is unknown. Check the server address.")};
        return {tr("Server unreachable"),
            tr("The server does not answer. Check the address and port, and that the server "
               "is running.")};
    case Kind::TlsError:
        return {tr("Secure connection failed"),
            tr("The secure connection failed: the server's certificate does not match the CA "
               "file, or the CA file is not usable.")};
    case Kind::ConnectionLost:
        return {tr("Connection lost"),
            tr("The connection to the server was lost. Press Retry: the upload resumes where "
               "it stopped.")};
    case Kind::ResponseTimeout:
        return {tr("The server stopped answering"),
            tr("The server stopped answering. Press Retry: the upload resumes where it "
               "stopped.")};
    case Kind::ProtocolViolation:
        return {tr("Unexpected answer from the server"),
            tr("The server answered something this app does not understand: they may be of "
               "different versions.")};
    case Kind::VersionMismatch: return fromCode(protocol::ErrorCode::UnsupportedVersion);
    case Kind::AcknowledgedBetsLost:
        return {tr("The server lost confirmed bets"),
            tr("The server now holds fewer bets than it had confirmed. Tell the lottery's "
               "support before retrying.")};
    case Kind::ServerError:
        if (error.code)
            return fromCode(*error.code);
        return {tr("Error from the server"), tr("The server reported an error.")};
    case Kind::BatchRejected:
    case Kind::ResyncLimit:
        if (error.code)
            return fromCode(*error.code);
        return {tr("Batch rejected by the server"), tr("The server refused a batch of bets.")};
    case Kind::None: break;
    }
    return {tr("Upload failed"), tr("The upload failed.")};
}

QString UserMessages::forInvalidRow(const QString &reason)
{
    // The reasons are English sentences built in protocol/bet.h and bet_csv.h: `<field> <rule>`,
    // some with a number. Matched here once, translated part by part.
    static const QRegularExpression nameRule(
        QStringLiteral("^(first_name|last_name|document|birthdate|number|field) (.*)$"));
    static const QRegularExpression number(QStringLiteral("(\\d+)"));
    const auto fieldName = [](const QString &field) {
        if (field == QLatin1String("first_name"))
            return tr("first name");
        if (field == QLatin1String("last_name"))
            return tr("last name");
        if (field == QLatin1String("document"))
            return tr("document");
        if (field == QLatin1String("birthdate"))
            return tr("birthdate");
        if (field == QLatin1String("number"))
            return tr("number");
        return tr("field");
    };
    const QString n = number.match(reason).captured(1);
    if (reason == QLatin1String("malformed CSV quoting"))
        return tr("badly placed quotes");
    if (reason.startsWith(QLatin1String("expected 5 fields, found ")))
        return tr("expected 5 fields, found %1").arg(reason.section(QLatin1Char(' '), -1));
    if (reason.startsWith(QLatin1String("line is longer than ")))
        return tr("the line is longer than %1 bytes").arg(n);
    const QRegularExpressionMatch match = nameRule.match(reason);
    if (!match.hasMatch())
        return reason;
    const QString field = fieldName(match.captured(1));
    const QString rule = match.captured(2);
    if (rule == QLatin1String("is empty"))
        return tr("%1 is empty").arg(field);
    if (rule.startsWith(QLatin1String("is longer than ")))
        return tr("%1 is longer than %2 bytes").arg(field, n);
    if (rule == QLatin1String("is not valid UTF-8"))
        return tr("%1 is not valid UTF-8 text").arg(field);
    if (rule == QLatin1String("contains a control character"))
        return tr("%1 contains a control character").arg(field);
    if (rule == QLatin1String("has leading or trailing spaces"))
        return tr("%1 has spaces at the start or the end").arg(field);
    if (rule.startsWith(QLatin1String("has more than ")))
        return tr("%1 has more than %2 digits").arg(field, n);
    if (rule == QLatin1String("must contain only digits"))
        return tr("%1 must contain only digits").arg(field);
    if (rule == QLatin1String("is not a real date in YYYY-MM-DD form"))
        return tr("%1 is not a real date in YYYY-MM-DD form").arg(field);
    if (rule.startsWith(QLatin1String("is before ")))
        return tr("%1 is before %2").arg(field, n);
    if (rule == QLatin1String("is in the future"))
        return tr("%1 is in the future").arg(field);
    if (rule.startsWith(QLatin1String("is above ")))
        return tr("%1 is above %2").arg(field, n);
    if (rule == QLatin1String("is not an integer"))
        return tr("%1 is not a whole number").arg(field);
    return reason;
}

} // namespace lottery::gui
