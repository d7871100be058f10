// lottery-server: configuration, logging and signals around lottery::server::LotteryServer.
#include "common/log.h"
#include "common/unix_signal_watcher.h"
#include "server/epoll_event_dispatcher.h"
#include "server/lottery_server.h"
#include "server/server_config.h"
#include "server/systemd_notifier.h"

#include <QCoreApplication>

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
    lottery::setLogLevel(loaded.config.logLevel);
    lottery::server::logConfig(loaded.config);
    raiseOpenFileLimit();
    LOTTERY_LOG_SUCCESS("event_dispatcher").field(u"kind", dispatcher);

    lottery::server::LotteryServer server(loaded.config);
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
        LOTTERY_LOG_FAIL("listen").field(u"error", server.errorString());
        return 1;
    }
    // start() returns once the socket listens: only now may systemd start what depends on us.
    systemd.notifyReady(server.serverPort());
    systemd.startWatchdog();
    return app.exec();
}
