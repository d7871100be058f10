// The central server. Lives in the main thread: owns the QTcpServer, every Session and the pool.
// Blocking work (storing batches, DONE, the draw) runs in the pool; results come back as queued
// calls and find their session by id, since the session may have gone in the meantime.
#pragma once

#include "server/admin/server_metrics.h"
#include "server/admin/status_snapshot.h"
#include "server/bet_storage.h"
#include "server/connection_listener.h"
#include "server/credentials.h"
#include "server/lottery_state.h"
#include "server/result_queue.h"
#include "server/server_config.h"
#include "server/session.h"
#include "server/worker_tasks.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QThreadPool>
#include <QTimer>

#include <memory>

namespace lottery::server {

class LotteryServer : public QObject, private SessionHandler
{
    Q_OBJECT
public:
    explicit LotteryServer(const ServerConfig &config, QObject *parent = nullptr);
    ~LotteryServer() override;

    // Opens and recovers the storage, then listens. False with errorString() on failure.
    bool start();
    QString errorString() const { return m_error; }
    quint16 serverPort() const { return m_listener.serverPort(); }

    // Orderly stop (SIGTERM): emits finished() once every step is done.
    void shutdown();

    int sessionCount() const { return static_cast<int>(m_sessions.size()); }
    bool drawCompleted() const { return m_state && m_state->drawCompleted(); }

    // For the admin endpoint (same thread): counters, and what only the main thread knows.
    const ServerMetrics &metrics() const { return m_metrics; }
    StatusSnapshot statusSnapshot() const;

signals:
    void drawFinished();
    void finished();

private:
    enum class ShutdownPhase { Running, Draining, ClosingSockets, Done };

    void acceptConnections();
    void onAcceptError(QAbstractSocket::SocketError error);

    void helloReceived(Session &session, const protocol::Hello &hello) override;
    void finishAuthentication(quint64 sessionId, quint32 agency, bool accepted, bool missing);
    void welcome(Session &session, quint32 agency);
    void batchesReceived(Session &session, ReceivedBatches batches) override;
    void doneReceived(Session &session) override;
    void winnersRequested(Session &session) override;
    void sessionClosed(Session &session) override;
    void sessionFailed(Session &session, protocol::ErrorCode code) override;

    void finishBatches(quint64 sessionId, const QString &peer, quint32 agency,
        const std::vector<BatchOutcome> &outcomes);
    void answerBatch(
        Session *session, const QString &peer, quint32 agency, const BatchOutcome &outcome);
    void finishDone(quint64 sessionId, quint32 agency, const DoneOutcome &outcome);
    void maybeStartDraw();
    void finishDraw(const DrawOutcome &outcome);
    void sendWinners(Session &session);
    Session *findSession(quint64 id) const;

    void finishDraining();
    void finishClosingSockets();

    const ServerConfig m_config;
    QString m_error;
    ConnectionListener m_listener;
    QThreadPool m_pool;
    ResultQueue m_results; // pool threads -> main thread
    std::unique_ptr<CredentialStore> m_credentials; // null: open mode, no authentication
    // Token checks (PBKDF2, ~0.1 s each) run here, apart from m_pool, so that a flood of HELLOs
    // delays other HELLOs but never the batches of agencies already in. Declared after
    // m_credentials: destroyed (and waited for) before it.
    QThreadPool m_authPool;
    std::unique_ptr<BetStorage> m_storage;
    std::unique_ptr<LotteryState> m_state;
    QHash<quint64, Session *> m_sessions;
    QHash<quint32, quint64> m_sessionByAgency; // live session of each agency
    QSet<quint64> m_waitingForDraw;
    quint64 m_nextSessionId = 1;
    int m_tasksInFlight = 0; // batch and DONE tasks, not the draw
    QTimer m_resumeAcceptTimer;
    ShutdownPhase m_phase = ShutdownPhase::Running;
    QTimer m_shutdownTimer;
    ServerMetrics m_metrics;
};

} // namespace lottery::server
