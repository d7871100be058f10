// What agency-gui and agency-cli tell a person when something goes wrong, in their language: one
// place mapping each way an upload can fail (UploadError's kind), each error code the server can
// send, and each bet rule an invalid row breaks to a sentence. Both programs show these, so they
// live here with their own catalog (lottery_agency_es_AR.ts). Never derived from an error's
// technical text (English, for the log lines), except the invalid rows' reasons, which the
// protocol's bet rules and the CSV parser give only as English sentences.
#pragma once

#include "lottery/agency/bet_file_reader.h"
#include "lottery/agency/upload_error.h"
#include "lottery/protocol/errors.h"

#include <QCoreApplication>
#include <QString>
#include <QStringList>

namespace lottery::agency {

struct UserMessage {
    QString title; // short: "Server unreachable"
    QString explanation; // what happened and what to do, in the person's terms
};

// The translation context is "UserMessages": the one lupdate gives the class's tr() calls.
class UserMessages
{
    Q_DECLARE_TR_FUNCTIONS(UserMessages)
public:
    // Their catalog for installTranslations() (":/i18n/lottery_agency_es_AR.qm").
    static QString catalog() { return QStringLiteral("lottery_agency"); }
    // The kind decides; when the server said so (a code), the code's title and sentence.
    static UserMessage forError(const UploadError &error);
    // One sentence of its own per code (docs/PROTOCOL.md, section 5).
    static QString forErrorCode(protocol::ErrorCode code);
    static QString titleForErrorCode(protocol::ErrorCode code);
    // Why a row of the bets file was not sent (protocol/bet.h's validateBet, agency_csv_row.h's
    // parser, BetFileReader's line limit) in the person's language; an unknown reason is
    // returned as it is.
    static QString forInvalidRow(const QString &reason);
    // Why a file looks wrong (BetFileInspector) and what to do, one paragraph per concern.
    static QStringList forFileConcerns(const BetFileSummary &summary);
    // What sending a file ends with, for a person deciding whether to send a suspicious one.
    static QString whatSendingCloses();

    // The facts behind a failure for whoever supports the agency, in the person's language:
    // the server (`servers`, the list tried, when the error names none), the socket's error,
    // the server's code, the rejected batch, the file's state (`dataFile`). The error's
    // `message` is English, for the log lines; this never shows it. Empty when nothing is known.
    static QString detailFor(
        const UploadError &error, const QString &servers = {}, const QString &dataFile = {});
    // Why `path` cannot be read, found on the file system (missing, a folder, no permission).
    static QString forUnreadableFile(const QString &path);
    // Whether the same upload, unchanged, may succeed later: the server was down, busy, slow or
    // lost. False when something must change first (settings, file, app) or support must look.
    static bool retryMayHelp(const UploadError &error);
};

} // namespace lottery::agency
