// agency-cli: one agency's upload from the command line. All the work is in lottery::agency; this
// reads the settings, wires the session to the log and to SIGTERM/SIGINT, and picks the exit code:
//   0  every valid bet stored and the winners received; also after a requested shutdown
//      (SIGTERM/SIGINT), as in the course, so `docker stop` is not reported as a crash
//   1  the upload failed (server unreachable, rejected batch, protocol error, connection lost)
//   2  bad settings, or some rows of the file were invalid (everything else succeeded)
#include "agency_config.h"
#include "upload_summary.h"

#include "common/log.h"
#include "common/unix_signal_watcher.h"
#include "lottery/agency/agency_session.h"
#include "lottery/agency/session_logger.h"

#include <QCoreApplication>
#include <QTextStream>

#include <csignal>

using namespace lottery;
using namespace lottery::agency;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("agency-cli"));

    AgencyConfigLoader loader;
    switch (loader.load(QCoreApplication::arguments(), QProcessEnvironment::systemEnvironment())) {
    case AgencyConfigLoader::Status::Help: QTextStream(stdout) << loader.helpText(); return 0;
    case AgencyConfigLoader::Status::Error:
        LOTTERY_LOG_FAIL("config").field(u"error", loader.errorString());
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

    AgencySession session(config.sessionOptions());
    SessionLogger logger(&session);
    UploadSummary summary(&session);
    UnixSignalWatcher signalWatcher({SIGTERM, SIGINT});

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
    QObject::connect(&session, &AgencySession::failed, &app, [] { QCoreApplication::exit(1); });

    session.start();
    const int exitCode = QCoreApplication::exec();
    summary.logSummary();
    return exitCode;
}
