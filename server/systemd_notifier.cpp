#include "systemd_notifier.h"

#include "common/log.h"

#include <QByteArray>

#ifdef LOTTERY_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include <algorithm>
#include <cstdint>

namespace lottery::server {

SystemdNotifier::SystemdNotifier(QObject *parent) : QObject(parent)
{
    connect(&m_watchdogTimer, &QTimer::timeout, this, [this] { send("WATCHDOG=1"); });
}

bool SystemdNotifier::isAvailable()
{
#ifdef LOTTERY_HAVE_SYSTEMD
    return true;
#else
    return false;
#endif
}

void SystemdNotifier::send(const char *state)
{
#ifdef LOTTERY_HAVE_SYSTEMD
    // 0: not under systemd (no NOTIFY_SOCKET); < 0: the socket refused it. Neither stops us.
    if (::sd_notify(0, state) < 0)
        LOTTERY_LOG_FAIL("systemd_notify").field(u"state", state);
#else
    Q_UNUSED(state);
#endif
}

void SystemdNotifier::notifyReady(quint16 port)
{
    const QByteArray state
        = QByteArrayLiteral("READY=1\nSTATUS=listening on port ") + QByteArray::number(port);
    send(state.constData());
}

void SystemdNotifier::notifyStopping()
{
    m_watchdogTimer.stop();
    send("STOPPING=1\nSTATUS=stopping");
}

int SystemdNotifier::startWatchdog()
{
#ifdef LOTTERY_HAVE_SYSTEMD
    std::uint64_t usec = 0;
    if (::sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
        return 0;
    // Half the timeout, as sd_watchdog_enabled(3) advises: one late turn is not a failure.
    const int intervalMs = static_cast<int>(std::max<std::uint64_t>(usec / 2000, 1));
    m_watchdogTimer.start(intervalMs);
    send("WATCHDOG=1");
    return intervalMs;
#else
    return 0;
#endif
}

} // namespace lottery::server
