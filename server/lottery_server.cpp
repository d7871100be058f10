#include "server/lottery_server.h"

#include "common/log.h"
#include "common/process_stats.h"
#include "server/tsan_annotations.h"

#include <QElapsedTimer>
#include <QHostAddress>
#include <QMetaObject>
#include <QSslSocket>
#include <QTcpSocket>

#include <sys/resource.h>

namespace lottery::server {

namespace {

// Shutdown bounds: in-flight batches get this long to be stored and acknowledged...
constexpr int kDrainTimeoutMs = 3000;
// ...peers this long to take their ERROR(ShuttingDown) before the sockets are dropped...
constexpr int kCloseTimeoutMs = 1000;
// ...and workers this long to return once the stop flag is set.
constexpr int kWorkersTimeoutMs = 2000;
// After accept() fails (typically EMFILE) wait this long before accepting again.
constexpr int kResumeAcceptMs = 1000;
// Whole BATCH frames a session hands to one worker task (all covered by one fdatasync). Bigger
// tasks mean fewer commits and wake-ups; 16 -> 64 (with agency windows of 128) cut 5x1M by ~25 %
// (docs/PERFORMANCE.md). 128 gained little more and raised the server's peak memory by a third.
constexpr int kMaxBatchesPerTask = 64;
// The socket's read buffer: one task's worth of frames, so a session that is waiting pushes
// back over TCP.
constexpr qint64 kReadBufferSize = kMaxBatchesPerTask * protocol::kMaxFrameSize;
// A refused connection gets this long to read its ERROR(ServerBusy).
constexpr int kBusyCloseMs = 2000;
// Descriptors kept free for the storage files, the draw and Qt's own needs.
constexpr qintptr kDescriptorReserve = 16;

// Qt 6.4 does not report an accept() that fails with EMFILE (no acceptError: it retries at
// once, spinning the event loop). The kernel hands out the lowest free descriptor, so a new
// socket numbered near the limit means nearly every descriptor is in use: stop accepting first.
bool nearDescriptorLimit(qintptr descriptor)
{
    rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
        return false;
    return descriptor + kDescriptorReserve >= static_cast<qintptr>(limit.rlim_cur);
}
// Threads for token checks: enough for a few HELLOs at once, never the whole machine.
constexpr int kAuthThreads = 2;

void logShutdownStep(const char *step)
{
    LOTTERY_LOG_PROGRESS("shutdown").field(u"step", step);
}

} // namespace

LotteryServer::LotteryServer(const ServerConfig &config, QObject *parent)
    : QObject(parent), m_config(config)
{
    m_pool.setMaxThreadCount(qBound(1, m_config.workers, ServerConfig::kMaxWorkers));
    m_authPool.setMaxThreadCount(kAuthThreads);
    connect(&m_listener, &QTcpServer::newConnection, this, &LotteryServer::acceptConnections);
    connect(&m_listener, &QTcpServer::acceptError, this, &LotteryServer::onAcceptError);
    m_resumeAcceptTimer.setSingleShot(true);
    connect(&m_resumeAcceptTimer, &QTimer::timeout, this, [this] {
        if (m_phase != ShutdownPhase::Running)
            return;
        LOTTERY_LOG_PROGRESS("accept").field(u"step", "resume_accepting");
        m_listener.resumeAccepting();
    });
    m_shutdownTimer.setSingleShot(true);
    connect(&m_shutdownTimer, &QTimer::timeout, this, [this] {
        if (m_phase == ShutdownPhase::Draining)
            finishDraining();
        else if (m_phase == ShutdownPhase::ClosingSockets)
            finishClosingSockets();
    });
}

LotteryServer::~LotteryServer()
{
    m_listener.close();
    if (m_state)
        m_state->requestStop();
    if (m_storage)
        m_storage->requestStop();
    m_pool.waitForDone();
    tsan::takeOver(&m_pool);
    m_authPool.waitForDone();
    tsan::takeOver(&m_authPool);
    // Sessions refer to this object as their handler: they must not outlive it.
    qDeleteAll(m_sessions);
    m_sessions.clear();
}

bool LotteryServer::start()
{
    if (m_config.authEnabled()) {
        m_credentials = std::make_unique<CredentialStore>();
        if (!m_credentials->load(m_config.credentialsPath)) {
            m_error = m_credentials->errorString();
            return false;
        }
        int missing = 0;
        for (quint32 agency = 1; agency <= m_config.agencies; ++agency)
            missing += m_credentials->contains(agency) ? 0 : 1;
        LOTTERY_LOG_SUCCESS("credenciales")
            .field(u"file", m_config.credentialsPath)
            .field(u"agencies", m_credentials->size());
        if (missing > 0) {
            // Those agencies cannot log in, so the draw will wait for them forever.
            LOTTERY_LOG_FAIL("credenciales")
                .field(u"error",
                    QStringLiteral("%1 of the agencies 1..%2 have no token hash")
                        .arg(missing)
                        .arg(m_config.agencies));
        }
    }
    if (m_config.tlsEnabled()) {
        QSslConfiguration tls;
        if (!ConnectionListener::loadTlsConfiguration(
                m_config.tlsCertificatePath, m_config.tlsKeyPath, &tls, &m_error))
            return false;
        m_listener.setTlsConfiguration(tls);
        LOTTERY_LOG_SUCCESS("tls")
            .field(u"certificate", m_config.tlsCertificatePath)
            .field(u"subject", tls.localCertificate().subjectDisplayName())
            .field(u"expires", tls.localCertificate().expiryDate().toString(Qt::ISODate));
    }
    m_storage = std::make_unique<BetStorage>(m_config.storagePath);
    if (!m_storage->open()) {
        m_error = m_storage->errorString();
        return false;
    }
    m_state = std::make_unique<LotteryState>(m_config.agencies);
    m_state->restore(m_storage->recovery().agencies);
    const QHash<quint32, AgencyProgress> recovered = m_storage->recovery().agencies;
    for (auto it = recovered.cbegin(); it != recovered.cend(); ++it)
        m_metrics.restoreAgency(it.key(), it->storedBets, it->lastSequence, it->done);

    m_listener.setListenBacklogSize(m_config.listenBacklog);
    const QHostAddress address(m_config.ip);
    if (!m_listener.listen(address, m_config.port)) {
        m_error = QStringLiteral("cannot listen on %1:%2: %3")
                      .arg(m_config.ip)
                      .arg(m_config.port)
                      .arg(m_listener.errorString());
        return false;
    }
    LOTTERY_LOG_SUCCESS("listen")
        .field(u"ip", m_config.ip)
        .field(u"port", static_cast<int>(m_listener.serverPort()));
    // Every agency may already have finished before a restart: then the draw runs now.
    maybeStartDraw();
    return true;
}

void LotteryServer::acceptConnections()
{
    while (QTcpSocket *socket = m_listener.nextPendingConnection()) {
        if (m_phase != ShutdownPhase::Running) {
            socket->abort();
            socket->deleteLater();
            continue;
        }
        if (m_sessions.size() >= m_config.maxConnections) {
            const QString message
                = QStringLiteral("connection limit %1 reached").arg(m_config.maxConnections);
            LOTTERY_LOG_FAIL("conexion")
                .field(u"ip", socket->peerAddress().toString())
                .field(u"code", protocol::toString(protocol::ErrorCode::ServerBusy))
                .field(u"error", message);
            m_metrics.recordError(0, protocol::ErrorCode::ServerBusy);
            const std::string bytes = protocol::encodeFrame(
                protocol::ErrorMessage {protocol::ErrorCode::ServerBusy, message.toStdString()});
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            QTimer::singleShot(kBusyCloseMs, socket, [socket] { socket->abort(); });
            const auto refuse = [socket, bytes] {
                socket->write(bytes.data(), static_cast<qint64>(bytes.size()));
                socket->disconnectFromHost();
            };
            // A TLS peer can read the ERROR only once its handshake is done.
            auto *tls = qobject_cast<QSslSocket *>(socket);
            if (tls && !tls->isEncrypted())
                connect(tls, &QSslSocket::encrypted, tls, refuse);
            else
                refuse();
            continue;
        }
        const quint64 id = m_nextSessionId++;
        const SessionLimits limits {m_config.idleTimeoutMs, m_config.frameTimeoutMs,
            kReadBufferSize, kMaxBatchesPerTask, m_config.helloTimeoutMs};
        const qintptr descriptor = socket->socketDescriptor();
        auto *session = new Session(id, socket, limits, *this, this);
        m_sessions.insert(id, session);
        session->start();
        if (nearDescriptorLimit(descriptor)) {
            LOTTERY_LOG_FAIL("accept")
                .field(u"error",
                    QStringLiteral("open file limit nearly reached (descriptor %1, %2 sessions)")
                        .arg(descriptor)
                        .arg(m_sessions.size()))
                .field(u"retry_ms", kResumeAcceptMs);
            m_listener.pauseAccepting();
            m_resumeAcceptTimer.start(kResumeAcceptMs);
            return;
        }
    }
}

void LotteryServer::onAcceptError(QAbstractSocket::SocketError)
{
    // QTcpServer stops accepting after an accept() failure (e.g. EMFILE): resume later.
    LOTTERY_LOG_FAIL("accept")
        .field(u"error", m_listener.errorString())
        .field(u"retry_ms", kResumeAcceptMs);
    m_listener.pauseAccepting();
    m_resumeAcceptTimer.start(kResumeAcceptMs);
}

Session *LotteryServer::findSession(quint64 id) const
{
    return m_sessions.value(id, nullptr);
}

void LotteryServer::helloReceived(Session &session, const protocol::Hello &hello)
{
    using protocol::ErrorCode;
    if (hello.version != protocol::kProtocolVersion) {
        session.fail(ErrorCode::UnsupportedVersion,
            QStringLiteral("protocol version %1 is not supported (server speaks %2)")
                .arg(hello.version)
                .arg(protocol::kProtocolVersion));
        return;
    }
    if (hello.agency < 1 || hello.agency > m_config.agencies) {
        session.fail(ErrorCode::InvalidAgency,
            QStringLiteral("agency %1 is outside 1..%2").arg(hello.agency).arg(m_config.agencies));
        return;
    }
    if (m_phase != ShutdownPhase::Running) {
        session.fail(ErrorCode::ShuttingDown, QStringLiteral("server is shutting down"));
        return;
    }
    if (!m_credentials) {
        welcome(session, hello.agency); // open mode: a token, if any, is ignored
        return;
    }
    // The session reads nothing more (a BATCH sent right behind the HELLO stays unread) until
    // the token is known to be right.
    session.holdForTask();
    const quint64 id = session.id();
    const quint32 agency = hello.agency;
    const QByteArray token = QByteArray::fromStdString(hello.token);
    const CredentialStore *store = m_credentials.get();
    tsan::startTask(m_authPool, [this, id, agency, token, store] {
        const bool missing = token.isEmpty();
        const bool accepted = !missing && store->verify(agency, token);
        m_results.post([this, id, agency, accepted, missing] {
            finishAuthentication(id, agency, accepted, missing);
        });
        tsan::handOff(&m_authPool); // pairs with the takeOver after waitForDone()
    });
}

void LotteryServer::finishAuthentication(
    quint64 sessionId, quint32 agency, bool accepted, bool missing)
{
    Session *session = findSession(sessionId);
    if (!session || session->isClosing())
        return;
    if (!accepted) {
        const QString reason = missing
            ? QStringLiteral("HELLO carries no token and this server requires one")
            : QStringLiteral("the token is not agency %1's").arg(agency);
        LOTTERY_LOG_FAIL("autenticacion")
            .field(u"agency", agency)
            .field(u"ip", session->peer())
            .field(u"error", reason);
        session->fail(protocol::ErrorCode::AuthenticationFailed, reason);
        return;
    }
    if (m_phase != ShutdownPhase::Running) {
        session->fail(protocol::ErrorCode::ShuttingDown, QStringLiteral("server is shutting down"));
        return;
    }
    LOTTERY_LOG_SUCCESS("autenticacion").field(u"agency", agency).field(u"ip", session->peer());
    welcome(*session, agency);
    session->taskFinished(); // reads on: frames sent behind the HELLO are handled now
}

void LotteryServer::welcome(Session &session, quint32 agency)
{
    const auto previous = m_sessionByAgency.constFind(agency);
    if (previous != m_sessionByAgency.constEnd()) {
        if (Session *old = findSession(*previous); old && old != &session) {
            m_waitingForDraw.remove(old->id());
            old->fail(protocol::ErrorCode::Superseded,
                QStringLiteral("a new session for agency %1 replaced this one").arg(agency));
        }
    }
    m_sessionByAgency.insert(agency, session.id());
    session.setAgency(agency);
    const AgencyProgress progress = m_state->progress(agency);
    session.send(
        protocol::Welcome {protocol::kProtocolVersion, progress.lastSequence, progress.storedBets});
    LOTTERY_LOG_SUCCESS("hello")
        .field(u"ip", session.peer())
        .field(u"agency", agency)
        .field(u"last_sequence", progress.lastSequence)
        .field(u"stored_bets", progress.storedBets)
        .field(u"done", progress.done ? "true" : "false");
}

void LotteryServer::batchesReceived(Session &session, ReceivedBatches batches)
{
    ++m_tasksInFlight;
    const quint64 id = session.id();
    const quint32 agency = session.agency();
    const QString peer = session.peer();
    const protocol::CivilDate today = currentCivilDate();
    BetStorage *storage = m_storage.get();
    LotteryState *state = m_state.get();
    tsan::startTask(
        m_pool, [this, id, agency, peer, today, storage, state, batches = std::move(batches)] {
            QElapsedTimer clock;
            clock.start();
            std::vector<BatchOutcome> outcomes
                = processBatches(batches.views(), agency, today, *storage, *state);
            const qint64 taskNs = clock.nsecsElapsed();
            m_results.post([this, id, peer, agency, taskNs, outcomes = std::move(outcomes)] {
                m_metrics.recordBatches(agency, outcomes, taskNs);
                finishBatches(id, peer, agency, outcomes);
            });
            tsan::handOff(&m_pool); // pairs with the takeOver after waitForDone()
        });
}

void LotteryServer::finishBatches(quint64 sessionId, const QString &peer, quint32 agency,
    const std::vector<BatchOutcome> &outcomes)
{
    --m_tasksInFlight;
    Session *session = findSession(sessionId);
    // In order, all at once: the acks leave in one write.
    for (const BatchOutcome &outcome : outcomes)
        answerBatch(session, peer, agency, outcome);
    if (session)
        session->taskFinished();
    if (m_phase == ShutdownPhase::Draining && m_tasksInFlight == 0)
        finishDraining();
}

void LotteryServer::answerBatch(
    Session *session, const QString &peer, quint32 agency, const BatchOutcome &outcome)
{
    switch (outcome.kind) {
    case BatchOutcome::Kind::Acked:
        LOTTERY_LOG_SUCCESS("apuesta_recibida")
            .field(u"cantidad", outcome.betCount)
            .field(u"agency", agency)
            .field(u"sequence", outcome.ack.sequence)
            .field(u"duplicate", outcome.ack.duplicate ? "true" : "false")
            .field(u"ip", peer);
        if (session)
            session->send(outcome.ack);
        break;
    case BatchOutcome::Kind::Rejected:
        LOTTERY_LOG_FAIL("apuesta_recibida")
            .field(u"cantidad", outcome.betCount)
            .field(u"agency", agency)
            .field(u"sequence", outcome.reject.sequence)
            .field(u"code", protocol::toString(outcome.reject.code))
            .field(u"error", outcome.error)
            .field(u"ip", peer);
        if (session)
            session->send(outcome.reject);
        break;
    case BatchOutcome::Kind::Malformed:
        if (session) {
            session->fail(outcome.decodeError->wireCode(),
                QString::fromStdString(outcome.decodeError->toString()));
        }
        break;
    case BatchOutcome::Kind::Stopped:
        LOTTERY_LOG_FAIL("apuesta_recibida")
            .field(u"cantidad", outcome.betCount)
            .field(u"agency", agency)
            .field(u"error", outcome.error)
            .field(u"ip", peer);
        if (session)
            session->fail(protocol::ErrorCode::ShuttingDown, outcome.error);
        break;
    }
}

void LotteryServer::doneReceived(Session &session)
{
    ++m_tasksInFlight;
    const quint64 id = session.id();
    const quint32 agency = session.agency();
    BetStorage *storage = m_storage.get();
    LotteryState *state = m_state.get();
    tsan::startTask(m_pool, [this, id, agency, storage, state] {
        const DoneOutcome outcome = processDone(agency, *storage, *state);
        m_results.post([this, id, agency, outcome] { finishDone(id, agency, outcome); });
        tsan::handOff(&m_pool); // pairs with the takeOver after waitForDone()
    });
}

void LotteryServer::finishDone(quint64 sessionId, quint32 agency, const DoneOutcome &outcome)
{
    --m_tasksInFlight;
    m_metrics.recordDone(agency, outcome.ok ? QString() : outcome.error);
    Session *session = findSession(sessionId);
    if (outcome.ok) {
        LOTTERY_LOG_SUCCESS("agencia_finalizada")
            .field(u"agency", agency)
            .field(u"repeated", outcome.repeated ? "true" : "false");
        if (session)
            session->send(protocol::DoneAck {});
    } else {
        LOTTERY_LOG_FAIL("agencia_finalizada")
            .field(u"agency", agency)
            .field(u"error", outcome.error);
        if (session) {
            session->fail(m_phase == ShutdownPhase::Running ? protocol::ErrorCode::StorageFailure
                                                            : protocol::ErrorCode::ShuttingDown,
                outcome.error);
        }
    }
    if (session)
        session->taskFinished();
    maybeStartDraw();
    if (m_phase == ShutdownPhase::Draining && m_tasksInFlight == 0)
        finishDraining();
}

void LotteryServer::maybeStartDraw()
{
    // A draw started now could not finish before the files close: the next start runs it.
    if (m_phase != ShutdownPhase::Running || !m_state->tryStartDraw())
        return;
    m_metrics.recordDrawStarted();
    const BetStorage *storage = m_storage.get();
    tsan::startTask(m_pool, [this, storage] {
        const DrawOutcome outcome = runDraw(*storage);
        m_results.post([this, outcome] { finishDraw(outcome); });
        tsan::handOff(&m_pool); // pairs with the takeOver after waitForDone()
    });
}

void LotteryServer::finishDraw(const DrawOutcome &outcome)
{
    const QSet<quint64> waiting = std::exchange(m_waitingForDraw, {});
    m_metrics.recordDrawFinished(outcome);
    if (!outcome.ok) {
        LOTTERY_LOG_FAIL("sorteo").field(u"error", outcome.error);
        for (quint64 id : waiting) {
            if (Session *session = findSession(id))
                session->fail(protocol::ErrorCode::StorageFailure,
                    QStringLiteral("the draw failed: %1").arg(outcome.error));
        }
        return;
    }
    m_state->setDrawResult(outcome.winners);
    LOTTERY_LOG_SUCCESS("sorteo")
        .field(u"cantidad", outcome.betsRead)
        .field(u"ganadores", outcome.winnerCount)
        .field(u"duracion_ms", outcome.elapsedMs);
    for (quint64 id : waiting) {
        if (Session *session = findSession(id)) {
            session->setWaitingForDraw(false);
            sendWinners(*session);
        }
    }
    emit drawFinished();
}

void LotteryServer::winnersRequested(Session &session)
{
    if (m_state->drawCompleted()) {
        sendWinners(session);
        return;
    }
    // Parked without a thread: answered by finishDraw().
    session.setWaitingForDraw(true);
    m_waitingForDraw.insert(session.id());
    LOTTERY_LOG_PROGRESS("consulta_ganadores")
        .field(u"agency", session.agency())
        .field(u"ip", session.peer())
        .field(u"waiting_for", "sorteo");
}

void LotteryServer::sendWinners(Session &session)
{
    const std::vector<std::string> documents
        = m_state->winners(session.agency()).value_or(std::vector<std::string>());
    for (const protocol::Winners &chunk : protocol::chunkWinners(documents))
        session.send(chunk);
    LOTTERY_LOG_SUCCESS("consulta_ganadores")
        .field(u"agency", session.agency())
        .field(u"cant_ganadores", static_cast<unsigned long long>(documents.size()))
        .field(u"ip", session.peer());
}

void LotteryServer::sessionClosed(Session &session)
{
    const quint64 id = session.id();
    m_sessions.remove(id);
    m_waitingForDraw.remove(id);
    if (session.hasAgency() && m_sessionByAgency.value(session.agency()) == id)
        m_sessionByAgency.remove(session.agency());
    session.deleteLater();
    if (m_phase == ShutdownPhase::ClosingSockets && m_sessions.isEmpty())
        finishClosingSockets();
}

void LotteryServer::sessionFailed(Session &session, protocol::ErrorCode code)
{
    m_metrics.recordError(session.agency(), code);
}

StatusSnapshot LotteryServer::statusSnapshot() const
{
    StatusSnapshot snapshot;
    snapshot.agenciesExpected = m_config.agencies;
    snapshot.storageOpen = m_storage != nullptr && m_phase != ShutdownPhase::Done;
    snapshot.listening = m_listener.isListening();
    snapshot.shuttingDown = m_phase != ShutdownPhase::Running;
    snapshot.tasksInFlight = m_tasksInFlight;
    if (m_storage) {
        snapshot.storagePath = m_storage->csvPath();
        snapshot.journalPath = m_storage->journalPath();
    }
    for (const Session *session : m_sessions)
        snapshot.addSession(session->agency(), session->isWaitingForDraw());
    return snapshot;
}

void LotteryServer::shutdown()
{
    if (m_phase != ShutdownPhase::Running)
        return;
    m_phase = ShutdownPhase::Draining;
    logShutdownStep("stop_listening");
    m_listener.close();
    m_resumeAcceptTimer.stop();
    for (Session *session : std::as_const(m_sessions))
        session->stopReading();
    LOTTERY_LOG_PROGRESS("shutdown")
        .field(u"step", "stop_reading")
        .field(u"sessions", m_sessions.size())
        .field(u"batches_in_flight", m_tasksInFlight);
    if (m_tasksInFlight == 0) {
        finishDraining();
        return;
    }
    m_shutdownTimer.start(kDrainTimeoutMs);
}

void LotteryServer::finishDraining()
{
    if (m_phase != ShutdownPhase::Draining)
        return;
    m_phase = ShutdownPhase::ClosingSockets;
    m_shutdownTimer.stop();
    if (m_tasksInFlight > 0) {
        // They may still be stored; they will not be acknowledged, so the agency resends.
        LOTTERY_LOG_PROGRESS("shutdown")
            .field(u"step", "drain_timeout")
            .field(u"unacknowledged", m_tasksInFlight);
    }
    LOTTERY_LOG_PROGRESS("shutdown")
        .field(u"step", "close_sockets")
        .field(u"sessions", m_sessions.size());
    const QList<Session *> sessions = m_sessions.values();
    for (Session *session : sessions)
        session->fail(protocol::ErrorCode::ShuttingDown, QStringLiteral("server is shutting down"));
    if (m_sessions.isEmpty()) {
        finishClosingSockets();
        return;
    }
    m_shutdownTimer.start(kCloseTimeoutMs);
}

void LotteryServer::finishClosingSockets()
{
    if (m_phase != ShutdownPhase::ClosingSockets)
        return;
    m_phase = ShutdownPhase::Done;
    m_shutdownTimer.stop();
    const QList<Session *> remaining = m_sessions.values();
    for (Session *session : remaining) {
        session->abort();
        session->deleteLater();
    }
    m_sessions.clear();
    m_sessionByAgency.clear();
    m_waitingForDraw.clear();
    LOTTERY_LOG_PROGRESS("shutdown")
        .field(u"step", "sockets_closed")
        .field(u"aborted", remaining.size());

    // Workers waiting for a sync or a claim give up now instead of at their deadlines.
    m_storage->requestStop();
    m_state->requestStop();
    logShutdownStep("stop_workers");
    if (m_pool.waitForDone(kWorkersTimeoutMs)) {
        tsan::takeOver(&m_pool);
        logShutdownStep("workers_stopped");
    } else {
        LOTTERY_LOG_FAIL("shutdown")
            .field(u"step", "workers_stopped")
            .field(
                u"error", QStringLiteral("workers still busy after %1 ms").arg(kWorkersTimeoutMs));
    }
    m_storage->close();
    logShutdownStep("files_closed");
    const BetStorage::Stats stats = m_storage->stats();
    LOTTERY_LOG_SUCCESS("estadisticas")
        .field(u"batches", stats.batches)
        .field(u"bets", stats.bets)
        .field(u"bytes", stats.bytes)
        .field(u"commits", stats.commits)
        .field(u"fsyncs", stats.fdatasyncs)
        .field(u"vmhwm_kib", peakResidentKib());
    LOTTERY_LOG_SUCCESS("shutdown");
    emit finished();
}

} // namespace lottery::server
