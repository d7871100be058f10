#include "lottery/agency/user_messages.h"

#include <QFileInfo>
#include <QRegularExpression>
#include <QStringList>

#include <algorithm>

#include <array>
#include <vector>

namespace lottery::agency {

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
        return tr("The server received a message at the wrong moment. Try again; if it keeps "
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
                  "network and try again.");
    case ErrorCode::Superseded: return tr("Another upload of the same agency replaced this one.");
    case ErrorCode::Internal:
        return tr("The server had an internal error. Tell the lottery's support.");
    case ErrorCode::SequenceConflict:
        return tr("The server holds other bets under this upload's batch numbers, even after "
                  "starting again from what it stored. Check that this is the file that was "
                  "uploaded, then tell the lottery's support.");
    case ErrorCode::SalesClosed:
        return tr("Sales closed before this upload finished: the bets the server stored "
                  "before the close count and are in the draw; the rest were not stored.");
    case ErrorCode::AgencyDisabled:
        return tr("This agency was disabled by the lottery's operator: the server takes no bets "
                  "from it until the operator enables it again. The bets it already stored are "
                  "kept. Call the lottery.");
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
    case ErrorCode::SalesClosed: return tr("Sales are closed");
    case ErrorCode::AgencyDisabled: return tr("Agency disabled by the operator");
    }
    return tr("Error from the server");
}

UserMessage UserMessages::forError(const UploadError &error)
{
    using Kind = UploadError::Kind;
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
            tr("The connection to the server was lost. Try again: the upload resumes where it "
               "stopped.")};
    case Kind::ResponseTimeout:
        return {tr("The server stopped answering"),
            tr("The server stopped answering. Try again: the upload resumes where it "
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
    case Kind::StoredBetsDiffer: {
        if (error.missingStoredCount == 0) { // a server that cannot list its stored bets
            return {tr("This file does not match what the server holds"),
                tr("The bets the server already stored for this agency are not the first valid "
                   "rows of this file, so nothing more was sent and nothing was closed. Choose the "
                   "file this upload started with. If you corrected rows, keep the original rows "
                   "in place and add the corrected ones at the end of the file.")};
        }
        // Counted outside tr(): lupdate 6.4 hangs on a template call among its arguments.
        const int missing
            = static_cast<int>(std::min<quint64>(error.missingStoredCount, 0x7fffffff));
        QString text = tr("The server already stored %n bet(s) of this agency that this file no "
                          "longer has. Stored bets are final: they cannot be removed or changed. "
                          "Nothing was sent and the upload was not closed. Put these rows back in "
                          "the file exactly as they were (corrected rows may stay, they are sent "
                          "as new bets) and try again:",
            nullptr, missing);
        if (error.storedBets > 0 && error.missingStoredCount >= error.storedBets) {
            text += QLatin1Char(' ')
                + tr("None of the bets stored for this agency is in this file: is it the file "
                     "this upload started with?");
        }
        // As the row is written in the file (docs/PROTOCOL.md 10.2): a name with a comma or a
        // quote between quotes, quotes doubled.
        const auto field = [](const QString &value) {
            if (!value.contains(QLatin1Char(',')) && !value.contains(QLatin1Char('"')))
                return value;
            QString quoted = value;
            quoted.replace(QLatin1String("\""), QLatin1String("\"\""));
            return QLatin1Char('"') + quoted + QLatin1Char('"');
        };
        for (const MissingStoredBet &bet : error.missingStoredBets) {
            const QString row = QStringList {field(bet.firstName), field(bet.lastName),
                bet.document, bet.birthdate, QString::number(bet.number)}
                                    .join(QLatin1Char(','));
            text += QLatin1Char('\n');
            text += bet.afterLine > 0
                ? tr("- stored bet no. %1: %2 (it was after line %3 of the file)")
                      .arg(bet.index + 1)
                      .arg(row)
                      .arg(bet.afterLine)
                : tr("- stored bet no. %1: %2 (before the other stored rows of the file)")
                      .arg(bet.index + 1)
                      .arg(row);
        }
        const int more = missing - static_cast<int>(error.missingStoredBets.size());
        if (more > 0)
            text += QLatin1Char('\n') + tr("- and %n more.", nullptr, more);
        return {tr("This file lacks bets the server already stored"), text};
    }
    case Kind::ReceiptMismatch:
        return {tr("The server's receipt does not match"),
            tr("The server confirmed different bets than the ones this agency sent. Stop, keep "
               "this window or the terminal output, and call the lottery's support.")};
    case Kind::SuspiciousFile:
        return {tr("The file looks wrong: the agency was not closed"),
            tr("The file's valid rows were sent and stored, but the file as a whole looks "
               "wrong, so the agency's upload was not closed. Fix the file and send it again: "
               "only the rows still missing are sent. If the file is right as it is, send it "
               "again confirming that it is.")};
    case Kind::SealMismatch:
        return {tr("The sealed draw does not match this agency's receipt"),
            tr("The draw was sealed over other bets of this agency than the server confirmed. "
               "Keep the receipt and this output, and call the lottery's support.")};
    case Kind::ServerError:
        if (error.code == protocol::ErrorCode::AgencyDisabled && error.agency > 0) {
            return {titleForErrorCode(*error.code),
                tr("Agency %1 was disabled by the lottery's operator: the server takes no bets "
                   "from it until the operator enables it again. The bets it already stored are "
                   "kept. Call the lottery.")
                    .arg(error.agency)};
        }
        if (error.code)
            return fromCode(*error.code);
        return {tr("Error from the server"), tr("The server reported an error.")};
    case Kind::BatchRejected:
        if (error.code == protocol::ErrorCode::SalesClosed) {
            // Counted outside tr(): lupdate 6.4 hangs on a template call among its arguments.
            const int stored = static_cast<int>(std::min<quint64>(error.storedBets, 0x7fffffff));
            return {titleForErrorCode(*error.code),
                tr("Sales closed before this upload finished. %n bet(s) of this agency were "
                   "stored before the close: those count and are in the draw. The rest of the "
                   "file was not stored.",
                    nullptr, stored)};
        }
        Q_FALLTHROUGH();
    case Kind::ResyncLimit:
        if (error.code)
            return fromCode(*error.code);
        return {tr("Batch rejected by the server"), tr("The server refused a batch of bets.")};
    case Kind::None: break;
    }
    return {tr("Upload failed"), tr("The upload failed.")};
}

namespace {

// Each reason the bet rules, the CSV parser and the file reader give (English sentences, kept
// as they are for the log lines) and its translation source. A field rule's reason is
// "<field> <rule>": its translation gets the field's name as %1, then the rule's captures.
struct ReasonRule {
    const char *pattern; // of the whole reason, or of the rule after the field's name
    const char *source; // QT_TRANSLATE_NOOP, for lupdate
};

constexpr const char *kContext = "UserMessages";

constexpr std::array kRowRules {
    ReasonRule {"malformed CSV quoting", QT_TRANSLATE_NOOP("UserMessages", "badly placed quotes")},
    ReasonRule {"expected 5 fields, found (\\d+)",
        QT_TRANSLATE_NOOP("UserMessages", "expected 5 fields, found %1")},
    ReasonRule {"line is longer than (\\d+) bytes",
        QT_TRANSLATE_NOOP("UserMessages", "the line is longer than %1 bytes")},
};

constexpr std::array kFieldRules {
    ReasonRule {"is empty", QT_TRANSLATE_NOOP("UserMessages", "%1 is empty")},
    ReasonRule {"is longer than (\\d+) bytes",
        QT_TRANSLATE_NOOP("UserMessages", "%1 is longer than %2 bytes")},
    ReasonRule {
        "is not valid UTF-8", QT_TRANSLATE_NOOP("UserMessages", "%1 is not valid UTF-8 text")},
    ReasonRule {"contains a control character",
        QT_TRANSLATE_NOOP("UserMessages", "%1 contains a control character")},
    ReasonRule {"contains a C1 control character \\(U\\+0080\\.\\.U\\+009F\\)",
        QT_TRANSLATE_NOOP(
            "UserMessages", "%1 contains an invisible control character (U+0080 to U+009F)")},
    ReasonRule {"contains a line or paragraph separator \\(U\\+2028/U\\+2029\\)",
        QT_TRANSLATE_NOOP(
            "UserMessages", "%1 contains a line or paragraph separator (U+2028/U+2029)")},
    ReasonRule {"has leading or trailing spaces",
        QT_TRANSLATE_NOOP("UserMessages", "%1 has spaces at the start or the end")},
    ReasonRule {"begins with a byte order mark \\(U\\+FEFF\\)",
        QT_TRANSLATE_NOOP("UserMessages", "%1 begins with an invisible byte order mark (U+FEFF)")},
    ReasonRule {"has a leading or trailing no-break space \\(U\\+00A0\\)",
        QT_TRANSLATE_NOOP(
            "UserMessages", "%1 has a no-break space (U+00A0) at the start or the end")},
    ReasonRule {"begins with '(.)': not a name \\(a spreadsheet would run it as a formula\\)",
        QT_TRANSLATE_NOOP(
            "UserMessages", "%1 begins with '%2', which a spreadsheet would run as a formula")},
    ReasonRule {"has more than (\\d+) digits",
        QT_TRANSLATE_NOOP("UserMessages", "%1 has more than %2 digits")},
    ReasonRule {"must contain only digits",
        QT_TRANSLATE_NOOP("UserMessages", "%1 must contain only digits")},
    ReasonRule {"is not a real date in YYYY-MM-DD form",
        QT_TRANSLATE_NOOP("UserMessages", "%1 is not a real date in YYYY-MM-DD form")},
    ReasonRule {"is before (\\d+)", QT_TRANSLATE_NOOP("UserMessages", "%1 is before %2")},
    ReasonRule {"is in the future", QT_TRANSLATE_NOOP("UserMessages", "%1 is in the future")},
    ReasonRule {"is above (\\d+)", QT_TRANSLATE_NOOP("UserMessages", "%1 is above %2")},
    ReasonRule {"is not an integer", QT_TRANSLATE_NOOP("UserMessages", "%1 is not a whole number")},
};

struct CompiledRule {
    QRegularExpression pattern;
    const char *source;
};

template<std::size_t N> std::vector<CompiledRule> compiled(const std::array<ReasonRule, N> &rules)
{
    std::vector<CompiledRule> result;
    for (const ReasonRule &rule : rules)
        result.push_back({QRegularExpression(QRegularExpression::anchoredPattern(
                              QString::fromLatin1(rule.pattern))),
            rule.source});
    return result;
}

// The translation of the first of `rules` whose pattern is the whole of `text`, its captures
// filled in after `field` (when there is one); a null string when none matches.
QString translated(
    const std::vector<CompiledRule> &rules, const QString &text, const QString &field = {})
{
    for (const CompiledRule &rule : rules) {
        const QRegularExpressionMatch match = rule.pattern.match(text);
        if (!match.hasMatch())
            continue;
        QString result = QCoreApplication::translate(kContext, rule.source);
        if (!field.isNull())
            result = result.arg(field);
        for (int i = 1; i <= match.lastCapturedIndex(); ++i)
            result = result.arg(match.captured(i));
        return result;
    }
    return {};
}

} // namespace

QString UserMessages::forInvalidRow(const QString &reason)
{
    static const std::vector<CompiledRule> rowRules = compiled(kRowRules);
    static const std::vector<CompiledRule> fieldRules = compiled(kFieldRules);
    if (const QString text = translated(rowRules, reason); !text.isNull())
        return text;
    // protocol::toString(BetField) names the field first.
    static const QRegularExpression fieldRule(
        QStringLiteral("^(first_name|last_name|document|birthdate|number) (.*)$"));
    const QRegularExpressionMatch match = fieldRule.match(reason);
    if (!match.hasMatch())
        return reason;
    const QString name = match.captured(1);
    QString field;
    if (name == QLatin1String("first_name"))
        field = tr("first name");
    else if (name == QLatin1String("last_name"))
        field = tr("last name");
    else if (name == QLatin1String("document"))
        field = tr("document");
    else if (name == QLatin1String("birthdate"))
        field = tr("birthdate");
    else
        field = tr("number");
    const QString text = translated(fieldRules, match.captured(2), field);
    return text.isNull() ? reason : text;
}

QStringList UserMessages::forFileConcerns(const BetFileSummary &summary)
{
    const BetFileCheck &check = summary.check;
    const qint64 rows = summary.validRows + summary.invalidRows;
    QStringList paragraphs;
    for (const FileConcern concern : check.concerns) {
        switch (concern) {
        case FileConcern::NotUtf8:
            paragraphs << tr("The file is not saved as UTF-8 text: line %1 reads only as "
                             "Windows-1252 (Latin-1), what most Windows programs write: \"%2\". "
                             "Its rows with accents or ñ would not be sent. Save it again as "
                             "\"CSV UTF-8\" (Excel: Save As, \"CSV UTF-8 (Comma delimited)\"; "
                             "LibreOffice: character set \"Unicode (UTF-8)\") and use that file.")
                              .arg(check.notUtf8Line)
                              .arg(check.notUtf8Text);
            break;
        case FileConcern::SemicolonSeparated:
            paragraphs << tr("The file's columns are separated by ';' (line %1), not by ',': its "
                             "rows would not be sent. Save it again with ',' as the separator "
                             "(Excel: \"CSV UTF-8 (Comma delimited)\"; LibreOffice: field "
                             "delimiter ',').")
                              .arg(check.semicolonLine);
            break;
        case FileConcern::HeaderRow:
            paragraphs << tr("Line %1 holds column names (\"%2\"): the file must have no header "
                             "row, only bets, in the order first name, last name, document, "
                             "birthdate, number. Delete that line; if the columns are in another "
                             "order, put them in this one.")
                              .arg(check.headerLine)
                              .arg(check.headerText);
            break;
        case FileConcern::Empty:
            paragraphs << tr("The file has no rows: nothing would be sent. Check that it is the "
                             "agency's bets file; if the agency sold no bets, send it anyway to "
                             "close its upload.");
            break;
        case FileConcern::NoValidRows:
            // One form for one, another for the rest: the plural rule of English and Spanish
            // (no English catalog is loaded, so %n forms would stay "row(s)").
            paragraphs << (rows == 1
                    ? tr("The file's only row is not a valid bet: nothing would be sent. Look at "
                         "why it is invalid, fix the file and try again.")
                    : tr("None of the file's %1 rows is a valid bet: nothing would be sent. Look "
                         "at why each row is invalid, fix the file and try again.")
                          .arg(rows));
            break;
        case FileConcern::ManyInvalidRows: // at least kInvalidMin (3) rows: always plural
            paragraphs << tr("%1 of the file's %2 rows are not valid bets (more than %3 %): they "
                             "would not be sent. Look at why, fix the file and try again.")
                              .arg(summary.invalidRows)
                              .arg(rows)
                              .arg(BetFileCheck::kInvalidPercent);
            break;
        }
    }
    return paragraphs;
}

QString UserMessages::whatSendingCloses()
{
    return tr("Sending a file closes this agency's upload: after it the server takes no more bets "
              "from the agency, not even a corrected file.");
}

} // namespace lottery::agency

namespace lottery::agency {

namespace {

// The socket's error, as the connection attempts last saw it; empty when it says nothing more
// than the title does.
QString socketErrorText(QAbstractSocket::SocketError error)
{
    switch (error) {
    case QAbstractSocket::ConnectionRefusedError:
        return UserMessages::tr("the connection was refused: nothing listens at that address and "
                                "port");
    case QAbstractSocket::RemoteHostClosedError:
        return UserMessages::tr("the server closed the connection");
    case QAbstractSocket::HostNotFoundError: return UserMessages::tr("no computer has that name");
    case QAbstractSocket::SocketTimeoutError:
        return UserMessages::tr("no answer to the connection attempts");
    case QAbstractSocket::NetworkError:
        return UserMessages::tr("the network failed (is this computer connected?)");
    case QAbstractSocket::SslHandshakeFailedError:
        return UserMessages::tr("the secure connection (TLS) could not be set up");
    default: return {};
    }
}

} // namespace

QString UserMessages::forUnreadableFile(const QString &path)
{
    const QFileInfo info(path);
    if (!info.exists())
        return tr("the file %1 does not exist").arg(path);
    if (info.isDir())
        return tr("%1 is a folder, not a file").arg(path);
    if (!info.isReadable())
        return tr("this user may not read %1").arg(path);
    return tr("%1 could not be read to the end").arg(path);
}

QString UserMessages::detailFor(
    const UploadError &error, const QString &servers, const QString &dataFile)
{
    using Kind = UploadError::Kind;
    QStringList facts;
    const bool namesFile = error.kind == Kind::FileError || error.kind == Kind::InvalidOptions;
    if (error.kind == Kind::ConnectTimeout && servers.contains(QLatin1Char(',')))
        facts << tr("servers tried: %1").arg(servers); // a list: each was tried in turn
    else if (!error.server.isEmpty())
        facts << tr("server %1").arg(error.server);
    else if (!servers.isEmpty() && !namesFile)
        facts << tr("server %1").arg(servers);
    if (error.kind == Kind::ConnectTimeout || error.kind == Kind::TlsError) {
        if (const QString text = socketErrorText(error.socketError); !text.isEmpty())
            facts << text;
    }
    if (error.code)
        facts << tr("the server's error code %1").arg(static_cast<int>(*error.code));
    if (error.kind == Kind::BatchRejected && error.rejectedSequence > 0)
        facts << tr("batch number %1").arg(error.rejectedSequence);
    const bool aboutTheFile = error.kind == Kind::FileError || error.kind == Kind::WrongFile
        || error.kind == Kind::StoredBetsDiffer;
    if (aboutTheFile && !dataFile.isEmpty())
        facts << (error.kind == Kind::FileError ? forUnreadableFile(dataFile)
                                                : tr("file %1").arg(dataFile));
    return facts.join(QStringLiteral("; "));
}

bool UserMessages::retryMayHelp(const UploadError &error)
{
    using Kind = UploadError::Kind;
    switch (error.kind) {
    case Kind::ConnectTimeout:
        if (error.code)
            return retryRuleFor(*error.code) == RetryRule::NextServer;
        return error.socketError != QAbstractSocket::HostNotFoundError;
    case Kind::ConnectionLost:
    case Kind::ResponseTimeout: return true;
    case Kind::ServerError:
    case Kind::BatchRejected:
        return error.code && retryRuleFor(*error.code) == RetryRule::NextServer;
    case Kind::None:
    case Kind::InvalidOptions:
    case Kind::FileError:
    case Kind::WrongFile:
    case Kind::TlsError:
    case Kind::ProtocolViolation:
    case Kind::VersionMismatch:
    case Kind::AcknowledgedBetsLost:
    case Kind::ResyncLimit:
    case Kind::StoredBetsDiffer:
    case Kind::ReceiptMismatch:
    case Kind::SealMismatch:
    case Kind::SuspiciousFile: return false;
    }
    return false;
}

} // namespace lottery::agency
