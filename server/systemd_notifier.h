// Tells systemd how the server is doing when it runs as a Type=notify service (the Debian
// package's lottery-server.service): READY=1 once it listens, STOPPING=1 when a stop begins,
// WATCHDOG=1 at half of WatchdogSec= while the event loop turns (a hung loop stops petting and
// systemd restarts the service). Outside systemd (no NOTIFY_SOCKET) every call does nothing;
// built without libsystemd (LOTTERY_SYSTEMD=OFF) too.
#pragma once

#include <QObject>
#include <QTimer>

namespace lottery::server {

class SystemdNotifier : public QObject
{
    Q_OBJECT
public:
    explicit SystemdNotifier(QObject *parent = nullptr);

    static bool isAvailable(); // built with libsystemd

    void notifyReady(quint16 port);
    void notifyStopping();
    // Starts WATCHDOG=1 pings when systemd asked for them (WATCHDOG_USEC); returns the interval
    // in ms, 0 when there is no watchdog.
    int startWatchdog();

private:
    void send(const char *state);

    QTimer m_watchdogTimer;
};

} // namespace lottery::server
