// lottery-server: configuration, logging and signals around lottery::server::LotteryServer.
#include "common/log.h"
#include "common/unix_signal_watcher.h"
#include "server/admin/admin_server.h"
#include "server/admin/status_report.h"
#include "server/health_check.h"
#include "server/lottery_server.h"
#include "server/net/epoll_event_dispatcher.h"
#include "server/server_config.h"
#include "server/storage/store_maintenance.h"
#include "server/systemd_notifier.h"

#include <QCoreApplication>
#include <QHostAddress>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <sys/resource.h>

namespace {

// Every connected agency is a descriptor, and agencies waiting for the draw hold theirs: raise
// the soft limit (often 1024) to the hard one so SERVER_MAX_CONNECTIONS, not EMFILE, is the cap.
void raiseOpenFileLimit()
{
    rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        LOTTERY_LOG_FAIL("limite_descriptores").field(u"error", std::strerror(errno));
        return;
    }
    const rlim_t before = limit.rlim_cur;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
            LOTTERY_LOG_FAIL("limite_descriptores").field(u"error", std::strerror(errno));
            return;
        }
    }
    LOTTERY_LOG_SUCCESS("limite_descriptores")
        .field(u"antes", static_cast<unsigned long long>(before))
        .field(u"ahora", static_cast<unsigned long long>(limit.rlim_cur));
}

// The admin endpoint speaks TLS off loopback whenever the server has a certificate. A port in use
// is a start failure (exit 1).
int startAdmin(lottery::server::AdminServer &admin, const lottery::server::ServerConfig &config)
{
    lottery::server::AdminServer::Settings settings;
    settings.ip = config.adminIp;
    settings.port = static_cast<quint16>(config.adminPort);
    settings.tokenPath = config.adminTokenPath;
    settings.tls = config.tlsEnabled() && !QHostAddress(config.adminIp).isLoopback();
    QString error;
    if (settings.tls
        && !lottery::server::ConnectionListener::loadTlsConfiguration(
            config.tlsCertificatePath, config.tlsKeyPath, &settings.tlsConfiguration, &error)) {
        LOTTERY_LOG_FAIL("admin_listen").field(u"error", error);
        return 1;
    }
    if (!admin.start(settings)) {
        LOTTERY_LOG_FAIL("admin_listen").field(u"error", admin.errorString());
        return 1;
    }
    return 0;
}

} // namespace

int main(int argc, char *argv[])
{
    // Before the application object: Qt takes the main thread's dispatcher from here.
    const char *dispatcher = lottery::server::installMainEventDispatcher();
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("lottery-server"));

    using lottery::server::ConfigLoadResult;
    const ConfigLoadResult loaded = lottery::server::ServerConfigLoader::load(
        QCoreApplication::arguments(), QProcessEnvironment::systemEnvironment());
    if (loaded.status == ConfigLoadResult::Status::Help) {
        std::fputs(qPrintable(loaded.text), stdout);
        return 0;
    }
    if (loaded.status == ConfigLoadResult::Status::Error) {
        LOTTERY_LOG_FAIL("config").field(u"error", loaded.text);
        return ConfigLoadResult::kExitConfigError;
    }
    if (loaded.status == ConfigLoadResult::Status::HealthCheck)
        return lottery::server::runHealthCheck(loaded.config);
    lottery::setLogLevel(loaded.config.logLevel);
    lottery::server::logConfig(loaded.config);
    // The operator's explicit actions on a stopped store: each does one thing and exits.
    if (loaded.status == ConfigLoadResult::Status::Repair)
        return lottery::server::repairStore(loaded.config);
    if (loaded.status == ConfigLoadResult::Status::SetAgencies)
        return lottery::server::setStoreAgencies(loaded.config, loaded.setAgencies);
    if (!loaded.config.adminTokenPath.isEmpty()) {
        // A bad token file is a configuration error (exit 2), found before anything starts.
        QByteArray token;
        QString error;
        if (!lottery::server::AdminServer::readToken(
                loaded.config.adminTokenPath, &token, &error)) {
            LOTTERY_LOG_FAIL("config").field(u"error", error);
            return ConfigLoadResult::kExitConfigError;
        }
    }
    raiseOpenFileLimit();
    LOTTERY_LOG_SUCCESS("event_dispatcher").field(u"kind", dispatcher);

    // What the operator's console reads; declared first, so that it outlives the server.
    lottery::server::ServerMetrics metrics;
    lottery::server::LotteryServer server(loaded.config);
    server.setEvents(&metrics);
    lottery::server::SystemdNotifier systemd;
    lottery::UnixSignalWatcher signalWatcher({SIGTERM, SIGINT});
    QObject::connect(&signalWatcher, &lottery::UnixSignalWatcher::signalReceived, &server,
        [&server, &systemd](int signalNumber) {
            LOTTERY_LOG_PROGRESS("shutdown")
                .field(u"step", "signal")
                .field(u"signal", signalNumber);
            systemd.notifyStopping();
            server.shutdown();
        });
    QObject::connect(
        &server, &lottery::server::LotteryServer::finished, &app, &QCoreApplication::quit);
    if (!server.start()) {
        if (server.storeFailed()) {
            // Logged as `action: almacenamiento | result: fail`; like a configuration error, a
            // database that cannot be reached, refuses the password or has a newer schema is
            // not something a restart fixes by itself.
            return ConfigLoadResult::kExitConfigError;
        }
        LOTTERY_LOG_FAIL("listen").field(u"error", server.errorString());
        return 1;
    }
    lottery::server::AdminServer admin(metrics, [&server] { return server.statusSnapshot(); });
    // POST /api/sales/close: the operator's close, answered once it is durable.
    admin.setCloseSalesAction([&server](auto reply) {
        server.closeSales(lottery::protocol::CloseReason::Operator,
            [reply](const lottery::server::CloseDecision &decision) {
                lottery::server::AdminServer::ActionResult result;
                result.ok = decision.ok;
                result.error = decision.error;
                if (decision.ok)
                    result.json
                        = lottery::server::salesCloseJson(decision.close, decision.firstTime);
                reply(result);
            });
    });
    // POST /api/agencies/<n>/disable|enable: the operator's switch, answered once durable.
    admin.setAgencySwitchAction([&server](quint32 agency, bool enabled, auto reply) {
        server.setAgencyEnabled(agency, enabled,
            [reply, agency, enabled](const lottery::server::AgencySwitchDecision &decision) {
                using Kind = lottery::server::AgencySwitchDecision::Kind;
                lottery::server::AdminServer::ActionResult result;
                result.ok = decision.kind == Kind::Switched || decision.kind == Kind::Unchanged;
                result.error = decision.error;
                if (decision.kind == Kind::UnknownAgency)
                    result.errorStatus = 404;
                else if (decision.kind == Kind::Failed)
                    result.errorStatus = 503;
                if (result.ok)
                    result.json = lottery::server::agencySwitchJson(agency, enabled, decision);
                reply(result);
            });
    });
    if (loaded.config.adminEnabled()) {
        const int status = startAdmin(admin, loaded.config);
        if (status != 0)
            return status;
    }
    // start() returns once the socket listens: only now may systemd start what depends on us.
    systemd.notifyReady(server.serverPort());
    systemd.startWatchdog();
    return app.exec();
}
