#include "server/draw/draw_coordinator.h"

#include "server/draw/draw_notifier.h"
#include "server/net/session.h"
#include "server/server_events.h"

#include "common/bet_digest.h"
#include "common/log.h"

#include <QElapsedTimer>

#include <utility>

namespace lottery::server {

const char *closeReasonText(protocol::CloseReason reason)
{
    switch (reason) {
    case protocol::CloseReason::AllAgenciesDone: return "todas_las_agencias";
    case protocol::CloseReason::Schedule: return "horario";
    case protocol::CloseReason::Operator: return "operador";
    }
    return "desconocido";
}

DrawCoordinator::DrawCoordinator(
    BetStore &store, PoolDispatcher &workers, ServerEvents &events, Server server, QObject *parent)
    : QObject(parent), m_store(store), m_workers(workers), m_events(events),
      m_server(std::move(server))
{
}

DrawCoordinator::~DrawCoordinator() = default;

void DrawCoordinator::start(const ServerConfig &config)
{
    if (config.usesDatabase()) {
        // Another instance may record the draw: its NOTIFY (or the poll) wakes our held
        // GET_WINNERS. drawDue() is idempotent and reads the draw from the database.
        m_notifier = std::make_unique<DrawNotifier>(config.database);
        connect(m_notifier.get(), &DrawNotifier::drawRecorded, this, [this] {
            if (!m_winners)
                readDraw(false);
        });
        m_notifier->start();
    }
    m_scheduledClose = config.salesClose;
    // Every agency may already have finished, or the sales closed, before a restart: then the
    // draw runs now (and its result says whether sales are closed).
    readDraw(false);
    armSalesCloseTimer();
}

void DrawCoordinator::armSalesCloseTimer()
{
    if (!m_scheduledClose.isValid() || m_salesClose)
        return;
    const qint64 remainingMs = QDateTime::currentDateTimeUtc().msecsTo(m_scheduledClose);
    if (remainingMs <= 0) {
        closeSales(protocol::CloseReason::Schedule);
        return;
    }
    // QTimer takes an int: a close days away is re-armed hourly; the clock is read each time.
    m_salesCloseTimer.setSingleShot(true);
    m_salesCloseTimer.setTimerType(Qt::PreciseTimer);
    m_salesCloseTimer.disconnect(this);
    connect(&m_salesCloseTimer, &QTimer::timeout, this, [this] { armSalesCloseTimer(); });
    m_salesCloseTimer.start(static_cast<int>(qMin<qint64>(remainingMs, 3600 * 1000)));
    LOTTERY_LOG_PROGRESS("cierre_ventas")
        .field(u"motivo", "horario")
        .field(u"hora", m_scheduledClose.toString(Qt::ISODate))
        .field(u"faltan_s", remainingMs / 1000);
}

void DrawCoordinator::closeSales(
    protocol::CloseReason reason, std::function<void(const CloseDecision &)> done)
{
    if (m_salesClose) {
        if (done) {
            CloseDecision decision;
            decision.ok = true;
            decision.close = *m_salesClose;
            done(decision);
        }
        return;
    }
    if (done)
        m_closeWaiters.push_back(std::move(done));
    if (m_closeRunning)
        return;
    if (!m_server.acceptsWork()) {
        CloseDecision refused;
        refused.error = QStringLiteral("the server is shutting down");
        finishClose(reason, refused);
        return;
    }
    m_closeRunning = true;
    m_server.taskStarted();
    BetStore *store = &m_store;
    const qint64 atMs = QDateTime::currentMSecsSinceEpoch();
    m_workers.run([store, reason, atMs] { return store->closeSales(reason, atMs); },
        [this, reason](const CloseDecision &decision) {
            m_closeRunning = false;
            finishClose(reason, decision);
            m_server.taskFinished();
        });
}

void DrawCoordinator::finishClose(protocol::CloseReason reason, const CloseDecision &decision)
{
    if (decision.ok) {
        noteSalesClosed(decision.close, decision.firstTime);
        drawDue();
    } else {
        LOTTERY_LOG_FAIL("cierre_ventas")
            .field(u"motivo", closeReasonText(reason))
            .field(u"error", decision.error);
        if (m_salesClose) // a draw's, whose line waited for this close
            noteSalesClosed(*m_salesClose, false);
    }
    for (const auto &waiter : std::exchange(m_closeWaiters, {}))
        waiter(decision);
}

void DrawCoordinator::salesClosed(const SalesClose &close)
{
    noteSalesClosed(close, true);
}

void DrawCoordinator::noteSalesClosed(const SalesClose &close, bool firstTime)
{
    m_salesClose = close;
    m_salesCloseTimer.stop();
    // A draw can finish while this run's own close (the schedule, the operator) is still on its
    // way back from the store; it would log that close as read back from an earlier run.
    // finishClose() logs it instead, as made now.
    if (m_closeLogged || (!firstTime && m_closeRunning))
        return;
    m_closeLogged = true;
    auto line = LOTTERY_LOG_SUCCESS("cierre_ventas");
    line.field(u"motivo", closeReasonText(close.reason))
        .field(u"agencias_completas", close.agenciesDone)
        .field(u"apuestas", close.totalBets)
        .field(u"sello", digestHex(close.root))
        .field(u"hora",
            QDateTime::fromMSecsSinceEpoch(close.closedAtMs, Qt::UTC).toString(Qt::ISODateWithMs));
    if (!firstTime)
        line.field(u"registrado", "antes"); // read back at start, closed by an earlier run
}

void DrawCoordinator::readDraw(bool announce)
{
    // A draw started now could not finish before the store closes: the next start runs it.
    if (!m_server.acceptsWork() || m_winners)
        return;
    if (m_drawRunning) {
        m_drawAgain = true; // the running one may have looked before the last DONE
        return;
    }
    m_drawRunning = true;
    if (announce)
        m_events.drawStarted();
    BetStore *store = &m_store;
    m_workers.run(
        [store] {
            QElapsedTimer clock;
            clock.start();
            DrawResult result = store->draw();
            return std::make_pair(std::move(result), clock.elapsed());
        },
        [this](const std::pair<DrawResult, qint64> &r) { finishDraw(r.first, r.second); });
}

void DrawCoordinator::finishDraw(const DrawResult &result, qint64 elapsedMs)
{
    m_drawRunning = false;
    if (m_winners)
        return; // the DONE job that closed the sales read it first (drawRead())
    applyDraw(result, elapsedMs);
}

void DrawCoordinator::drawRead(const DrawResult &result, qint64 elapsedMs)
{
    if (m_winners)
        return;
    m_events.drawStarted();
    applyDraw(result, elapsedMs);
}

void DrawCoordinator::applyDraw(const DrawResult &result, qint64 elapsedMs)
{
    m_events.drawFinished(result, elapsedMs);
    if (!result.error.isEmpty() && m_notifier && !m_store.hasFailed()) {
        // The database holds the draw (or soon will) and this read failed, e.g. on a connection
        // a database restart left stale: the waiting agencies stay parked and the notifier's
        // next announcement (its poll goes on) reads it again. A delay, not an error for them.
        LOTTERY_LOG_FAIL("sorteo").field(u"error", result.error).field(u"retry", "next poll");
        if (std::exchange(m_drawAgain, false))
            drawDue();
        return;
    }
    if (!result.error.isEmpty()) {
        LOTTERY_LOG_FAIL("sorteo").field(u"error", result.error);
        for (Session *session : m_server.sessionsWaitingForDraw()) {
            session->fail(protocol::ErrorCode::StorageFailure,
                QStringLiteral("the draw failed: %1").arg(result.error));
        }
        return;
    }
    if (!result.completed) {
        // Not every agency is done (the check at start, or one that raced the last DONE).
        if (std::exchange(m_drawAgain, false))
            drawDue();
        return;
    }
    m_drawAgain = false;
    m_winners = result.winners;
    if (result.close)
        noteSalesClosed(*result.close, false);
    LOTTERY_LOG_SUCCESS("sorteo")
        .field(u"cantidad", result.bets)
        .field(u"ganadores", result.winnerCount)
        .field(u"duracion_ms", elapsedMs);
    for (Session *session : m_server.sessionsWaitingForDraw()) {
        session->setWaitingForDraw(false);
        sendWinners(*session);
    }
    emit drawFinished();
}

void DrawCoordinator::winnersRequested(Session &session)
{
    if (m_winners) {
        sendWinners(session);
        return;
    }
    // Parked without a thread: answered by finishDraw().
    session.setWaitingForDraw(true);
    if (m_winnersLines.allow()) {
        LOTTERY_LOG_PROGRESS("consulta_ganadores")
            .field(u"agency", session.agency())
            .field(u"ip", session.peer())
            .field(u"waiting_for", "sorteo");
    }
}

void DrawCoordinator::sendWinners(Session &session)
{
    const std::vector<std::string> documents = m_winners->value(session.agency());
    session.holdAnswers();
    if (m_salesClose && session.protocolVersion() >= protocol::kProtocolVersion2) {
        const AgencyHead head = m_salesClose->heads.value(session.agency());
        session.send(protocol::Sealed {static_cast<std::uint64_t>(m_salesClose->closedAtMs),
            m_salesClose->reason, m_salesClose->totalBets, m_salesClose->root, head.bets,
            head.digest});
    }
    for (const protocol::Winners &chunk : protocol::chunkWinners(documents))
        session.send(chunk);
    session.releaseAnswers();
    if (m_winnersLines.allow()) {
        LOTTERY_LOG_SUCCESS("consulta_ganadores")
            .field(u"agency", session.agency())
            .field(u"cant_ganadores", static_cast<unsigned long long>(documents.size()))
            .field(u"ip", session.peer());
    }
}

} // namespace lottery::server
