// agency-cli: one agency's upload from the command line. All the work is in lottery::agency; this
// reads the settings, wires the session to the log and to SIGTERM/SIGINT, and picks the exit code:
//   0  every valid bet stored and the winners received; also after a requested shutdown
//      (SIGTERM/SIGINT), as in the course, so `docker stop` is not reported as a crash
//   1  the upload failed (server unreachable, rejected batch, protocol error, connection lost)
//   2  bad settings, or some rows of the file were invalid (everything else succeeded), or the
//      file looks wrong and was refused before anything was sent (--accept-suspicious-file)
// Output: the log lines on stdout, exactly, unless a person watches: when stderr is a terminal
// (and no --no-progress) a progress bar and a summary in the person's language go to stderr,
// and the log lines too go only where stdout is not that terminal (a file, a pipe).
#include "agency_config.h"
#include "terminal_progress.h"
#include "upload_summary.h"

#include "common/bet_digest.h"
#include "common/log.h"
#include "common/translations.h"
#include "common/unix_signal_watcher.h"
#include "lottery/agency/agency_session.h"
#include "lottery/agency/bet_file_reader.h"
#include "lottery/agency/session_logger.h"
#include "lottery/agency/user_messages.h"

#include <QCoreApplication>
#include <QTextStream>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <memory>
#include <unistd.h>

using namespace lottery;
using namespace lottery::agency;

namespace {

// The last receipt (protocol version 2): logged, written to `path` when one is given, and shown
// to a person. False when the file could not be written.
bool reportReceipt(const AgencySession &session, const QString &path, bool person)
{
    const AgencyReceipt &receipt = session.receipt();
    if (!receipt.isValid())
        return true; // version 1: the session logger said so at WELCOME
    LOTTERY_LOG_SUCCESS("recibo")
        .field(u"agency", receipt.agency)
        .field(u"sequence", receipt.sequence)
        .field(u"apuestas", receipt.storedBets)
        .field(u"sha256", digestHex(receipt.digest));
    if (person) {
        // Computed apart: lupdate 6.4 hangs on a template call (qMin<quint64>) among
        // translate()'s arguments.
        const auto count = static_cast<int>(std::min<quint64>(receipt.storedBets, 0x7fffffff));
        const QString line = QCoreApplication::translate(
            "AgencyCli", "Receipt: %n bet(s) of agency %1 stored, SHA-256 %2\n", nullptr, count)
                                 .arg(receipt.agency)
                                 .arg(digestHex(receipt.digest));
        std::fputs(line.toUtf8().constData(), stderr);
    }
    if (person && session.sealed()) {
        const protocol::Sealed &sealed = *session.sealed();
        // Counted outside translate(): lupdate 6.4 hangs on a template call among its arguments.
        const int bets = static_cast<int>(std::min<quint64>(sealed.agencyBets, 0x7fffffff));
        const QString line = QCoreApplication::translate(
            "AgencyCli", "Your %n bet(s) are in the sealed draw (seal %1).\n", nullptr, bets)
                                 .arg(digestHex(sealed.root));
        std::fputs(line.toUtf8().constData(), stderr);
    }
    if (path.isEmpty())
        return true;
    QString error;
    if (!receipt.writeFile(path, &error)) {
        LOTTERY_LOG_FAIL("recibo").field(u"file", path).field(u"error", error);
        return false;
    }
    LOTTERY_LOG_SUCCESS("recibo_guardado").field(u"file", path);
    return true;
}

// Rows judged before anything is sent. A file this long or shorter is judged whole before HELLO;
// a longer one by its first rows (a wrong encoding, separator or header shows there), and whole
// while it is sent, DONE withheld if it looks wrong (AgencySessionOptions::
// withholdDoneIfSuspicious): one read of the file instead of two (docs/PERFORMANCE.md).
constexpr qint64 kRowsJudgedFirst = 4096;

// Judges the file before anything is sent (not even HELLO): one that looks wrong (not UTF-8,
// ';'-separated, a header row, no valid rows, many invalid ones) would end with DONE, closing the
// agency's upload with its bets missing. Refused unless the person said to send it anyway; the
// reasons go to the log line and, in the person's language, to stderr. False: refused.
bool acceptDataFile(const AgencyCliConfig &config, const QStringList &arguments, bool translated)
{
    const BetFileScanResult scan = scanBetFile(config.dataFile, 0, {}, {}, kRowsJudgedFirst);
    if (!scan.ok || !scan.summary.check.isSuspicious())
        return true; // a file that cannot be read fails as before, in the session
    const BetFileSummary &summary = scan.summary;
    const bool accept = config.acceptSuspiciousFile;
    LogLine(accept ? LogLevel::Warning : LogLevel::Error, u"archivo_sospechoso",
        accept ? LogResult::Success : LogResult::Fail)
        .field(u"archivo", config.dataFile)
        .field(u"motivos", summary.check.concernNames())
        .field(u"filas_validas", static_cast<long long>(summary.validRows))
        .field(u"filas_invalidas", static_cast<long long>(summary.invalidRows))
        .field(u"decision", accept ? "enviado por --accept-suspicious-file" : "rechazado");
    if (accept)
        return true;
    if (!translated) // without a terminal too: a refusal is for a person to read
        installTranslations(parseLanguage(languageArgument(arguments)).value_or(systemLanguage()),
            {QStringLiteral("agency_cli"), UserMessages::catalog()});
    QString message = QCoreApplication::translate(
        "AgencyCli", "agency-cli: the file %1 was not sent: it looks wrong.\n")
                          .arg(config.dataFile);
    for (const QString &paragraph : UserMessages::forFileConcerns(summary))
        message += QStringLiteral("- ") + paragraph + QLatin1Char('\n');
    message += UserMessages::whatSendingCloses() + QLatin1Char('\n');
    message += QCoreApplication::translate("AgencyCli",
        "Nothing was sent. Fix the file; or, if it is right as it is, run again with "
        "--accept-suspicious-file.\n");
    std::fputs(message.toUtf8().constData(), stderr);
    return false;
}

// After a run that withheld DONE (the whole file looked wrong only once read to its end): why,
// in the person's language, and how to close the agency. Like a refusal before sending, written
// with or without a terminal; `saidFailure`: the progress line already said the upload failed.
void explainSuspiciousFile(const BetFileCheck &check, const QString &file, bool saidFailure)
{
    BetFileSummary summary;
    summary.validRows = check.validRows;
    summary.invalidRows = check.rows - check.validRows;
    summary.check = check;
    QString message;
    if (!saidFailure)
        message += QCoreApplication::translate("AgencyCli",
            "agency-cli: the valid rows of %1 were sent, but the agency's upload was not closed: "
            "the file looks wrong as a whole.\n")
                       .arg(file);
    for (const QString &paragraph : UserMessages::forFileConcerns(summary))
        message += QStringLiteral("- ") + paragraph + QLatin1Char('\n');
    message += QCoreApplication::translate("AgencyCli",
        "Fix the file and run again (only the rows still missing are sent); or, if it is right "
        "as it is, run again with --accept-suspicious-file to close the agency's upload.\n");
    std::fputs(message.toUtf8().constData(), stderr);
}

// Stored bets the file lacks stop the upload before anything is sent, and only the clerk can fix
// the file: like a refused file, this is for a person to read, terminal or not (a terminal gets
// it from TerminalProgress). The log line says it in English.
void explainStoredBetsDiffer(const UploadError &error, const QStringList &arguments)
{
    installTranslations(parseLanguage(languageArgument(arguments)).value_or(systemLanguage()),
        {QStringLiteral("agency_cli"), UserMessages::catalog()});
    const UserMessage message = UserMessages::forError(error);
    const QString text
        = QStringLiteral("agency-cli: %1\n%2\n").arg(message.title, message.explanation);
    std::fputs(text.toUtf8().constData(), stderr);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("agency-cli"));

    // Decided before anything is printed. Without a person (Docker, pipes, --no-progress) the
    // program writes exactly its log lines and nothing is translated. The help is always for a
    // person, wherever it goes (`docker run ... --help`, `| less`).
    const QStringList arguments = QCoreApplication::arguments();
    const bool person = TerminalProgress::isTerminal(STDERR_FILENO)
        && !arguments.contains(QStringLiteral("--no-progress"));
    const bool help
        = arguments.contains(QStringLiteral("--help")) || arguments.contains(QStringLiteral("-h"));
    if (person || help)
        installTranslations(parseLanguage(languageArgument(arguments)).value_or(systemLanguage()),
            {QStringLiteral("agency_cli"), UserMessages::catalog()});
    if (person && TerminalProgress::isTerminal(STDOUT_FILENO))
        setLogOutputEnabled(false); // the same terminal: the bar replaces the log lines

    AgencyConfigLoader loader;
    switch (loader.load(arguments, QProcessEnvironment::systemEnvironment())) {
    case AgencyConfigLoader::Status::Help: QTextStream(stdout) << loader.helpText(); return 0;
    case AgencyConfigLoader::Status::Error:
        LOTTERY_LOG_FAIL("config").field(u"error", loader.errorString());
        if (person) {
            const QString message
                = QCoreApplication::translate("AgencyCli", "agency-cli: %1\nTry --help.\n")
                      .arg(loader.userErrorString());
            std::fputs(message.toUtf8().constData(), stderr);
        }
        return 2;
    case AgencyConfigLoader::Status::Ok: break;
    }
    const AgencyCliConfig &config = loader.config();
    setLogLevel(config.logLevel);
    LOTTERY_LOG_SUCCESS("config")
        .field(u"agency", config.agency)
        .field(u"server", config.serverAddress())
        .field(u"batch_max", config.batchMaxBets)
        .field(u"window", config.window)
        .field(u"reconnect_timeout_s", config.reconnectTimeoutSeconds)
        .field(u"file", config.dataFile)
        .field(u"log_level", toString(config.logLevel))
        .field(u"config_file",
            config.configFile.isEmpty() ? QStringLiteral("(none)") : config.configFile)
        .field(u"tls", config.caFile.isEmpty() ? QStringLiteral("off") : config.caFile)
        .field(u"token", config.token.isEmpty() ? "none" : "set"); // never the token itself

    if (!acceptDataFile(config, arguments, person || help))
        return 2;

    AgencySessionOptions sessionOptions = config.sessionOptions();
    sessionOptions.withholdDoneIfSuspicious = !config.acceptSuspiciousFile;
    AgencySession session(sessionOptions);
    SessionLogger logger(&session);
    UploadSummary summary(&session);
    UnixSignalWatcher signalWatcher({SIGTERM, SIGINT});
    std::unique_ptr<TerminalProgress> progress;
    if (person)
        progress = std::make_unique<TerminalProgress>(&session, STDERR_FILENO);

    QObject::connect(
        &signalWatcher, &UnixSignalWatcher::signalReceived, &app, [&session](int signalNumber) {
            session.cancel(); // closes the socket and the file
            LOTTERY_LOG_SUCCESS("shutdown")
                .field(u"signal", signalNumber == SIGTERM ? "SIGTERM" : "SIGINT")
                .field(u"apuestas_confirmadas", static_cast<long long>(session.betsAcknowledged()));
            QCoreApplication::exit(0);
        });
    QObject::connect(&session, &AgencySession::finished, &app,
        [&session] { QCoreApplication::exit(session.invalidRows() > 0 ? 2 : 0); });
    // A file found suspicious only once read whole exits like one refused before sending (2).
    QObject::connect(
        &session, &AgencySession::failed, &app, [&arguments, person](const UploadError &error) {
            if (!person && error.kind == UploadError::Kind::StoredBetsDiffer)
                explainStoredBetsDiffer(error, arguments);
            QCoreApplication::exit(error.kind == UploadError::Kind::SuspiciousFile ? 2 : 1);
        });

    session.start();
    int exitCode = QCoreApplication::exec();
    summary.logSummary();
    // The summary first: it clears the progress line, so the receipt gets a line of its own.
    if (progress)
        progress->finish();
    if (!reportReceipt(session, config.receiptFile, person) && exitCode == 0)
        exitCode = 1;
    if (session.failureKind() == AgencySession::FailureKind::SuspiciousFile) {
        if (!person && !help) // a refusal is for a person to read, as before sending
            installTranslations(
                parseLanguage(languageArgument(arguments)).value_or(systemLanguage()),
                {QStringLiteral("agency_cli"), UserMessages::catalog()});
        explainSuspiciousFile(session.fileCheck(), config.dataFile, person);
    }
    return exitCode;
}
