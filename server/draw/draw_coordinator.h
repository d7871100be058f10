// The close of sales and the draw (main thread). The only owner of: the winners once read, the
// close of sales once known (decided by the store: the last DONE, the schedule, the operator),
// the schedule's timer, and, on PostgreSQL, the notifier that says another instance recorded the
// draw. It does not give up: a draw read that fails while the store is healthy leaves the
// agencies waiting and is read again on the notifier's next announcement (its poll goes on).
//
// Who waits for the draw is each Session's own state (Session::isWaitingForDraw(), which also
// stops its idle deadline): the coordinator parks a session there and, when the draw has run,
// answers the sessions the server reports parked. Nothing is kept per session here, so nothing
// needs forgetting when a session goes.
//
// LotteryServer wires it: it hands over each GET_WINNERS and says when a DONE job found every
// agency done or closed the sales; the coordinator asks it whether it still accepts work (not once
// shutting down).
#pragma once

#include "server/pipeline/pool_dispatcher.h"
#include "server/server_config.h"
#include "server/storage/bet_store.h"

#include "common/log_rate_limiter.h"

#include <QDateTime>
#include <QObject>
#include <QTimer>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace lottery::server {

class DrawNotifier;
class ServerEvents;
class Session;

// "operador", "horario", "todas_las_agencias" (log lines and /api/status).
const char *closeReasonText(protocol::CloseReason reason);

class DrawCoordinator : public QObject
{
    Q_OBJECT
public:
    // What the coordinator needs from the server that owns it.
    struct Server {
        // The sessions parked on a GET_WINNERS (Session::isWaitingForDraw()), not closing.
        std::function<std::vector<Session *>()> sessionsWaitingForDraw;
        std::function<bool()> acceptsWork; // false once the shutdown began
        // The close's store task counts as work in flight: the shutdown waits for it.
        std::function<void()> taskStarted;
        std::function<void()> taskFinished;
    };

    DrawCoordinator(BetStore &store, PoolDispatcher &workers, ServerEvents &events, Server server,
        QObject *parent = nullptr);
    ~DrawCoordinator() override;

    // After the store opened: PostgreSQL's notifier, the draw of a store whose sales closed
    // before a restart, and the scheduled close (config.salesClose).
    void start(const ServerConfig &config);

    // Closes the sales now (the operator; the schedule). `done` (optional) gets the store's
    // decision once it is durable. Idempotent: a second close answers the first one.
    void closeSales(
        protocol::CloseReason reason, std::function<void(const CloseDecision &)> done = {});
    // A DONE job closed the sales (the last expected agency): keep and log the close.
    void salesClosed(const SalesClose &close);
    // Every agency is done, or the sales closed: read the draw (idempotent). The console shows
    // the draw running until it is read.
    void drawDue() { readDraw(true); }
    // The draw, read by the DONE job that completed the set of agencies (it closed the sales):
    // no second trip through the pool. Ignored once the draw is known.
    void drawRead(const DrawResult &result, qint64 elapsedMs);

    // A GET_WINNERS: answered now if the draw has run, else held (no thread) until it has.
    void winnersRequested(Session &session);

    bool drawCompleted() const { return m_winners.has_value(); }
    const std::optional<SalesClose> &salesCloseKnown() const { return m_salesClose; }

signals:
    void drawFinished();

private:
    // Reads the draw from the store. `announce`: it is known to be due (the console shows it
    // running); false for a check whether it is (at start, on another instance's NOTIFY), which
    // the console does not show unless it finds the draw.
    void readDraw(bool announce);
    void finishDraw(const DrawResult &result, qint64 elapsedMs);
    // A draw read, wherever it ran: winners kept and sent, or the failure handled.
    void applyDraw(const DrawResult &result, qint64 elapsedMs);
    void finishClose(protocol::CloseReason reason, const CloseDecision &decision);
    // Logs `cierre_ventas` and keeps the close (its seal goes to version-2 agencies).
    void noteSalesClosed(const SalesClose &close, bool firstTime);
    void armSalesCloseTimer();
    void sendWinners(Session &session);

    BetStore &m_store;
    PoolDispatcher &m_workers;
    ServerEvents &m_events;
    const Server m_server;
    QDateTime m_scheduledClose; // SERVER_SALES_CLOSE; invalid: none
    std::unique_ptr<DrawNotifier> m_notifier; // PostgreSQL store only
    bool m_drawRunning = false;
    bool m_drawAgain = false; // an agency became the last one done while a draw was running
    std::optional<WinnersByAgency> m_winners; // set once the draw has completed
    std::optional<SalesClose> m_salesClose; // set once the sales are closed
    bool m_closeRunning = false;
    bool m_closeLogged = false; // its `cierre_ventas` line is out
    std::vector<std::function<void(const CloseDecision &)>> m_closeWaiters;
    QTimer m_salesCloseTimer;
    // Each GET_WINNERS is a line; a peer asks as often as it likes (docs/DESIGN.md).
    LogRateLimiter m_winnersLines {QStringLiteral("consulta_ganadores"), LogLevel::Info, 1000, 200};
};

} // namespace lottery::server
