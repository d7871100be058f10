#include "server/draw/draw_notifier.h"
#include "server/storage/postgres_bet_store.h"

#include "common/log.h"

#include <QSqlDatabase>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QTimer>

namespace lottery::server {

namespace {
std::atomic<quint64> g_notifierCounter {0};
} // namespace

// The part that lives on the notifier's thread and owns its connection.
class DrawListener : public QObject
{
    Q_OBJECT

public:
    DrawListener(QString conninfo, int pollIntervalMs, std::atomic<int> *subscriptions)
        : m_conninfo(std::move(conninfo)),
          m_name(QStringLiteral("lottery-notify-%1").arg(++g_notifierCounter)),
          m_pollIntervalMs(pollIntervalMs), m_subscriptions(subscriptions)
    {
    }

public slots:
    void start()
    {
        m_timer = new QTimer(this);
        m_timer->setInterval(m_pollIntervalMs);
        connect(m_timer, &QTimer::timeout, this, &DrawListener::tick);
        m_timer->start();
        tick();
    }

    void shutdown()
    {
        if (m_timer)
            m_timer->stop();
        if (m_db.isValid()) {
            m_db.close();
            m_db = QSqlDatabase();
            QSqlDatabase::removeDatabase(m_name);
        }
    }

signals:
    void found();

private:
    void tick()
    {
        if (!m_db.isValid() || !m_db.isOpen()) {
            if (!connectAndSubscribe())
                return;
        }
        QSqlQuery query(m_db);
        if (!query.exec(QStringLiteral("SELECT count(*) FROM draw")) || !query.next()) {
            // Most likely the connection is gone (the subscription with it): reopen next tick.
            reportFailure(query.lastError().text());
            m_db.close();
            return;
        }
        if (query.value(0).toLongLong() > 0)
            announce(QStringLiteral("poll"));
    }

    bool connectAndSubscribe()
    {
        QString error;
        const QString options = PostgresBetStore::normalizedConnectOptions(m_conninfo, &error);
        if (options.isEmpty()) {
            reportFailure(error);
            return false;
        }
        if (!m_db.isValid()) {
            m_db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), m_name);
            connect(m_db.driver(),
                qOverload<const QString &, QSqlDriver::NotificationSource, const QVariant &>(
                    &QSqlDriver::notification),
                this, [this](const QString &name) {
                    if (name == QLatin1String(PostgresBetStore::kDrawChannel))
                        announce(QStringLiteral("notify"));
                });
        }
        m_db.setConnectOptions(options);
        if (!m_db.open()) {
            reportFailure(m_db.lastError().text());
            return false;
        }
        if (!m_db.driver()->subscribeToNotification(
                QLatin1String(PostgresBetStore::kDrawChannel))) {
            reportFailure(m_db.driver()->lastError().text());
            m_db.close();
            return false;
        }
        ++*m_subscriptions;
        m_failing = false;
        LOTTERY_LOG_SUCCESS("draw_listen")
            .field(u"channel", PostgresBetStore::kDrawChannel)
            .field(u"database", PostgresBetStore::redacted(m_conninfo));
        return true;
    }

    void announce(const QString &how)
    {
        if (!m_announced) {
            m_announced = true;
            LOTTERY_LOG_SUCCESS("draw_notice").field(u"via", how);
        }
        // Every time, and the poll goes on: the server's own read of the draw can fail (a
        // database restart leaves its pooled connection stale), and only a later announcement
        // makes it read again. The server ignores announcements once it holds the draw.
        emit found();
    }

    void reportFailure(const QString &error)
    {
        if (m_failing)
            return; // once per outage, not every poll
        m_failing = true;
        LOTTERY_LOG_FAIL("draw_listen")
            .field(u"channel", PostgresBetStore::kDrawChannel)
            .field(u"error", error.simplified())
            .field(u"retry_ms", m_pollIntervalMs);
    }

    const QString m_conninfo;
    const QString m_name;
    const int m_pollIntervalMs;
    std::atomic<int> *m_subscriptions;
    QSqlDatabase m_db;
    QTimer *m_timer = nullptr;
    bool m_failing = false;
    bool m_announced = false;
};

DrawNotifier::DrawNotifier(QString conninfo, int pollIntervalMs, QObject *parent)
    : QObject(parent), m_conninfo(std::move(conninfo)), m_pollIntervalMs(pollIntervalMs)
{
    m_thread.setObjectName(QStringLiteral("draw-notifier"));
}

DrawNotifier::~DrawNotifier()
{
    stop();
}

void DrawNotifier::start()
{
    if (m_listener)
        return;
    m_listener = new DrawListener(m_conninfo, m_pollIntervalMs, &m_subscriptions);
    m_listener->moveToThread(&m_thread);
    connect(&m_thread, &QThread::started, m_listener, &DrawListener::start);
    connect(&m_thread, &QThread::finished, m_listener, &QObject::deleteLater);
    connect(m_listener, &DrawListener::found, this, &DrawNotifier::drawRecorded);
    m_thread.start();
}

void DrawNotifier::stop()
{
    if (!m_listener)
        return;
    // The connection is closed on its own thread, then the thread ends.
    QMetaObject::invokeMethod(m_listener, &DrawListener::shutdown, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
    m_listener = nullptr;
}

} // namespace lottery::server

#include "draw_notifier.moc"
