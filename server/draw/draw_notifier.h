// Tells this server instance that the draw has been recorded, whichever instance recorded it:
// LISTEN lottery_draw through QPSQL (QSqlDriver::subscribeToNotification), plus a slow poll of
// the draw table as a fallback (a dropped connection silently ends a subscription, and a
// NOTIFY sent while this instance was reconnecting is gone). Reconnects and resubscribes when
// the poll finds the connection lost.
//
// The connection lives on a thread of the notifier's own, not the main thread: opening it may
// wait up to connect_timeout for a host that does not answer, and the main thread serves every
// session. drawRecorded() is emitted from that thread; receivers on the main thread get it
// queued, like any cross-thread signal.
#pragma once

#include <QObject>
#include <QString>
#include <QThread>

#include <atomic>

namespace lottery::server {

class DrawListener;

class DrawNotifier : public QObject
{
    Q_OBJECT

public:
    static constexpr int kDefaultPollMs = 2000;

    // `conninfo`: the same libpq connection string as the store's.
    explicit DrawNotifier(
        QString conninfo, int pollIntervalMs = kDefaultPollMs, QObject *parent = nullptr);
    ~DrawNotifier() override; // stops the thread, closes the connection
    DrawNotifier(const DrawNotifier &) = delete;
    DrawNotifier &operator=(const DrawNotifier &) = delete;

    void start();
    void stop();

    // How many times the LISTEN has been (re)established; for tests and /metrics.
    int subscriptions() const { return m_subscriptions.load(); }

signals:
    // The draw is recorded (NOTIFY received or the poll found it). Emitted at least once;
    // receivers must be idempotent.
    void drawRecorded();

private:
    QString m_conninfo;
    int m_pollIntervalMs;
    QThread m_thread;
    DrawListener *m_listener = nullptr; // lives in m_thread
    std::atomic<int> m_subscriptions {0};
};

} // namespace lottery::server
