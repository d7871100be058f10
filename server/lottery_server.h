// The central server. Lives in the main thread: owns the QTcpServer, every Session, the pool and
// the store. Blocking work (welcome, storing batches, DONE, the draw) runs in the pool through
// PoolDispatcher; results come back to the main thread and find their session by id, since the
// session may have gone in the meantime.
//
// Who owns what: the BetStore owns every agency's durable state and decides about each batch.
// The DrawCoordinator owns the close of sales and the draw (its winners, its schedule, the
// PostgreSQL notifier); the AgencyRegistry the sessions, the live session of each agency and the
// operator's switches; the AgencyRequestQueue the order of each agency's store requests;
// UploadAdmission the upload slots and buffer budget; TokenCheckQueue the HELLOs' token checks.
// ShutdownSequence the phases of the orderly stop. This class wires them to the sessions'
// requests (SessionHandler) and to one another.
#pragma once

#include "server/agency_registry.h"
#include "server/draw/draw_coordinator.h"
#include "server/net/connection_listener.h"
#include "server/net/credentials.h"
#include "server/net/session.h"
#include "server/net/token_check_queue.h"
#include "server/net/upload_admission.h"
#include "server/pipeline/agency_request_queue.h"
#include "server/pipeline/pool_dispatcher.h"
#include "server/pipeline/result_queue.h"
#include "server/pipeline/store_job_queue.h"
#include "server/pipeline/stored_list_queue.h"
#include "server/pipeline/worker_tasks.h"
#include "server/server_config.h"
#include "server/server_events.h"
#include "server/shutdown_sequence.h"
#include "server/status_snapshot.h"
#include "server/storage/bet_store.h"

#include "common/log_rate_limiter.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QThreadPool>
#include <QTimer>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace lottery::server {

// Builds the store the server opens at start(). The default builds the embedded FileBetStore on
// config.storagePath; another store (or a FileBetStore with another sync function) comes in here.
using BetStoreFactory = std::function<std::unique_ptr<BetStore>(const ServerConfig &config)>;

class LotteryServer : public QObject, private SessionHandler
{
    Q_OBJECT
public:
    explicit LotteryServer(
        const ServerConfig &config, BetStoreFactory storeFactory = {}, QObject *parent = nullptr);
    ~LotteryServer() override;

    static std::unique_ptr<BetStore> makeDefaultStore(const ServerConfig &config);

    // Opens and recovers the store, then listens. False with errorString() on failure.
    bool start();
    QString errorString() const { return m_error; }
    quint16 serverPort() const { return m_listener.serverPort(); }

    // Orderly stop (SIGTERM): emits finished() once every step is done.
    void shutdown();

    int sessionCount() const { return m_registry->count(); }
    bool drawCompleted() const { return m_draw && m_draw->drawCompleted(); }
    // start() failed because the store could not be opened (the program exits with 2).
    bool storeFailed() const { return m_storeFailed; }

    // Who is told what happens (the admin target's ServerMetrics); set before start(), outlives
    // the server. Unset: nobody. What only the main thread knows is statusSnapshot() (main
    // thread only; the admin thread gets copies through a StatusBoard).
    void setEvents(ServerEvents *events) { m_events = events ? events : &m_noEvents; }

    // Closes the sales now (the operator's console, POST /api/sales/close; the schedule). Main
    // thread; `done` (optional) gets the store's decision once it is durable. Idempotent: a
    // second close answers the first one.
    void closeSales(
        protocol::CloseReason reason, std::function<void(const CloseDecision &)> done = {});
    // The close of sales, once known on this thread (at the close, or read back at start).
    const std::optional<SalesClose> &salesClose() const;
    StatusSnapshot statusSnapshot() const;

    // Disables (enabled = false) or enables `agency` before the close of sales (the operator's
    // console, POST /api/agencies/<n>/disable|enable). Main thread; `done` (optional) gets the
    // store's decision once durable. A disabled agency's HELLO is refused (agency_disabled;
    // version 1: invalid_agency) and its connected session is closed once its task in flight
    // is answered; its stored bets stay and are sealed with the others at the close.
    void setAgencyEnabled(
        quint32 agency, bool enabled, std::function<void(const AgencySwitchDecision &)> done = {});
    // As this instance knows them (its own switches, read at start, learned from welcomes); the
    // store's welcome() decides each HELLO.
    const QSet<quint32> &disabledAgencies() const { return m_registry->disabledAgencies(); }

signals:
    void drawFinished();
    void finished();

private:
    // An admitted connection (ConnectionListener applied the accept policy): a new Session.
    void startSession(QTcpSocket *socket);

    void helloReceived(Session &session, const protocol::Hello &hello) override;
    void finishAuthentication(const TokenCheckQueue::Outcome &outcome);
    // The agency's session from now on: supersedes the previous one, then welcomes.
    void takeOverAgency(Session &session, quint32 agency);
    void startWelcome(quint64 sessionId, quint32 agency);
    void finishWelcome(quint64 sessionId, quint32 agency,
        const std::optional<AgencyProgress> &progress, const QString &error);
    void batchesReceived(Session &session, ReceivedBatches batches) override;
    void doneReceived(Session &session) override;
    // Batches or a DONE, behind the agency's requests already in the store.
    void submitWrite(Session &session, WriteRequest request);
    void winnersRequested(Session &session) override;
    void storedBetsRequested(Session &session, const protocol::ListStored &request) override;
    void finishStoredList(
        quint64 sessionId, quint32 agency, quint64 from, StoredListQueue::Result &&result);
    void sessionClosed(Session &session) override;

    // Answers a write: its batches' ACK/REJECT, its DONE's DONE_ACK (or the refusal of a DONE
    // pipelined behind a batch that was not acknowledged).
    void finishWrite(quint64 sessionId, const QString &peer, quint32 agency, bool donePipelined,
        const StoreJobOutput &output);
    void answerBatch(
        Session *session, const QString &peer, quint32 agency, const BatchOutcome &outcome);
    // Logs and answers a decided DONE; true when it was the last agency's (the draw is due).
    bool answerDone(Session *session, quint32 agency, const DoneDecision &decision);
    void taskDone();
    void finishAgencySwitch(quint32 agency, bool enabled, const AgencySwitchDecision &decision);
    // ERROR(agency_disabled), or ERROR(invalid_agency) to a version-1 session, and close.
    void refuseDisabledAgency(Session &session, quint32 agency);
    // After a task: the session closes if its agency was disabled while the task ran. True if so.
    bool closeIfDisabledMeanwhile(Session &session);
    Session *findSession(quint64 id) const;

    // The shutdown's steps, done when ShutdownSequence says so.
    ShutdownSequence::Steps shutdownSteps();
    // Its last: abort the sockets left, stop the workers, close the store, emit finished().
    void finishShutdown();

    const ServerConfig m_config;
    const BetStoreFactory m_storeFactory;
    QString m_error;
    ConnectionListener m_listener;
    ResultQueue m_results; // pool threads -> main thread
    QThreadPool m_pool;
    PoolDispatcher m_workers {m_pool, m_results};
    std::unique_ptr<CredentialStore> m_credentials; // null: open mode, no authentication
    // Token checks (PBKDF2, ~0.1 s each) run here, apart from m_pool, so that a flood of HELLOs
    // delays other HELLOs but never the batches of agencies already in. Declared after
    // m_credentials: destroyed (and waited for) before it.
    QThreadPool m_authPool;
    PoolDispatcher m_authWorkers {m_authPool, m_results};
    // The HELLOs waiting for or in their token check: bounded, round-robin by peer address,
    // and a check never starts for a connection already closed.
    TokenCheckQueue m_tokenChecks;
    std::unique_ptr<BetStore> m_store;
    // Batches and DONEs on their way to the store, many sessions' to a job.
    StoreJobQueue m_storeJobs {m_workers};
    // Each agency's requests (welcome, writes) in order, one at a time in the store.
    AgencyRequestQueue m_agencyRequests;
    // The close of sales and the draw, created once the store is open (start()).
    std::unique_ptr<DrawCoordinator> m_draw;
    // LIST_STORED answers, a few at a time (each reads an agency's rows back from the store).
    StoredListQueue m_storedLists {m_workers};
    bool m_storeFailed = false;
    // Declared before the sessions: they leave it when they go (~Session).
    UploadAdmission m_uploadAdmission;
    // Every session, the live one of each agency, the operator's switches. Reset in the
    // destructor, once no worker can answer a session any more.
    std::unique_ptr<AgencyRegistry> m_registry = std::make_unique<AgencyRegistry>();
    quint64 m_nextSessionId = 1;
    int m_tasksInFlight = 0; // welcome, batch and DONE tasks, not the draw
    ShutdownSequence m_shutdown {shutdownSteps()};
    NoServerEvents m_noEvents;
    ServerEvents *m_events = &m_noEvents;
    // Lines a peer can trigger at will (docs/DESIGN.md, "Every peer bounded"), and the timer
    // that reports what every limiter of the process suppressed once the flood stops.
    LogRateLimiter m_rejectLines {QStringLiteral("apuesta_recibida"), LogLevel::Error, 100, 20};
    LogRateLimiter m_authFailureLines {QStringLiteral("autenticacion"), LogLevel::Error, 100, 20};
    LogRateLimiter m_repeatedDoneLines {
        QStringLiteral("agencia_finalizada"), LogLevel::Info, 100, 20};
    LogRateLimiter m_listLines {QStringLiteral("listado_apuestas"), LogLevel::Info, 100, 20};
    QTimer m_logReportTimer;
};

} // namespace lottery::server
