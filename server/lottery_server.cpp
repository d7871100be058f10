#include "server/lottery_server.h"

#include "common/bet_digest.h"
#include "server/draw/draw_coordinator.h"
#include "server/storage/bet_store_factory.h"

#include "common/log.h"
#include "common/process_stats.h"
#include "server/storage/file_bet_store.h"

#include <QElapsedTimer>
#include <QHostAddress>
#include <QSslSocket>
#include <QTcpSocket>

#include <algorithm>

namespace lottery::server {

namespace {

// Shutdown: workers get this long to return once the stop flag is set (the phases before it have
// their own deadlines: ShutdownSequence::Deadlines).
constexpr int kWorkersTimeoutMs = 2000;
// How long a welcome may hold a worker: on a shared database, waiting for another instance's
// write of the agency (its row lock) or retrying a lost connection. Bounds a store that hangs.
constexpr int kWelcomeWaitMs = 30000;
// Threads for token checks: enough for a few HELLOs at once, never the whole machine.
constexpr int kAuthThreads = 2;
// How often the log rate limiters report what they suppressed (when they did).
constexpr int kLogReportIntervalMs = 1000;

TokenCheckQueue::Limits tokenCheckLimits()
{
    TokenCheckQueue::Limits limits;
    limits.threads = kAuthThreads;
    return limits;
}

void logShutdownStep(const char *step)
{
    LOTTERY_LOG_PROGRESS("shutdown").field(u"step", step);
}

} // namespace

LotteryServer::LotteryServer(
    const ServerConfig &config, BetStoreFactory storeFactory, QObject *parent)
    : QObject(parent), m_config(config),
      m_storeFactory(storeFactory ? std::move(storeFactory) : BetStoreFactory(makeDefaultStore)),
      m_tokenChecks(m_authWorkers, tokenCheckLimits())
{
    m_pool.setMaxThreadCount(qBound(1, m_config.workers, ServerConfig::kMaxWorkers));
    m_uploadAdmission.setLimits(
        m_config.uploadSlots, static_cast<qint64>(m_config.uploadBufferMiB) << 20);
    m_authPool.setMaxThreadCount(kAuthThreads);
    m_tokenChecks.setDeliver(
        [this](const TokenCheckQueue::Outcome &outcome) { finishAuthentication(outcome); });
    m_tokenChecks.setIsAlive([this](quint64 id) {
        const Session *session = findSession(id);
        return session && !session->isClosing() && !session->peerHasClosed();
    });
    m_logReportTimer.setInterval(kLogReportIntervalMs);
    connect(&m_logReportTimer, &QTimer::timeout, this, [] { LogRateLimiter::flushAll(); });
    m_logReportTimer.start();
    m_listener.setConnectionLimit(m_config.maxConnections, [this] { return m_registry->count(); });
    connect(&m_listener, &ConnectionListener::connectionReady, this, &LotteryServer::startSession);
    connect(&m_listener, &ConnectionListener::connectionRefused, this,
        [this](protocol::ErrorCode code) { m_events->errorSent(0, code, QString(), 0); });
}

ShutdownSequence::Steps LotteryServer::shutdownSteps()
{
    ShutdownSequence::Steps steps;
    steps.stopIntake = [this] {
        m_listener.stopListening();
        m_registry->forEachSession([](Session *session) { session->stopReading(); });
    };
    steps.tasksInFlight = [this] { return m_tasksInFlight; };
    steps.closeSessions = [this] {
        for (Session *session : m_registry->sessions()) {
            session->fail(
                protocol::ErrorCode::ShuttingDown, QStringLiteral("server is shutting down"));
        }
    };
    steps.sessions = [this] { return m_registry->count(); };
    steps.finish = [this] { finishShutdown(); };
    return steps;
}

LotteryServer::~LotteryServer()
{
    m_listener.close();
    if (m_store)
        m_store->requestStop();
    m_workers.waitForDone();
    m_authWorkers.waitForDone();
    // Sessions refer to this object as their handler: they must not outlive it. None is
    // admitted while they go (an admitted session would read and hand work to this object).
    m_uploadAdmission.clear();
    m_registry.reset();
}

std::unique_ptr<BetStore> LotteryServer::makeDefaultStore(const ServerConfig &config)
{
    return makeBetStore(config);
}

bool LotteryServer::start()
{
    if (m_config.authEnabled()) {
        m_credentials = std::make_unique<CredentialStore>();
        if (!m_credentials->load(m_config.credentialsPath)) {
            m_error = m_credentials->errorString();
            return false;
        }
        m_tokenChecks.setCredentials(m_credentials.get());
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
    m_store = m_storeFactory(m_config);
    if (!m_store || !m_store->open()) {
        m_error = m_store ? m_store->errorString() : QStringLiteral("no store to open");
        m_storeFailed = true;
        LOTTERY_LOG_FAIL("almacenamiento")
            .field(u"store", m_store ? m_store->describe() : QString())
            .field(u"error", m_error);
        return false;
    }
    LOTTERY_LOG_SUCCESS("almacenamiento").field(u"store", m_store->describe());
    StoreJobQueue::Limits jobLimits;
    jobLimits.maxJobsInFlight = m_pool.maxThreadCount();
    m_storeJobs.setLimits(jobLimits);
    m_storeJobs.setStore(m_store.get(), m_store->combinesRequests());
    m_storedLists.setStore(m_store.get());
    DrawCoordinator::Server server;
    server.sessionsWaitingForDraw = [this] {
        std::vector<Session *> waiting;
        m_registry->forEachSession([&waiting](Session *session) {
            if (session->isWaitingForDraw() && !session->isClosing())
                waiting.push_back(session);
        });
        return waiting;
    };
    server.acceptsWork = [this] { return m_shutdown.isRunning(); };
    server.taskStarted = [this] { ++m_tasksInFlight; };
    server.taskFinished = [this] { taskDone(); };
    m_draw = std::make_unique<DrawCoordinator>(*m_store, m_workers, *m_events, std::move(server));
    connect(m_draw.get(), &DrawCoordinator::drawFinished, this, &LotteryServer::drawFinished);
    const QHash<quint32, AgencyProgress> recovered = m_store->durableProgress();
    for (auto it = recovered.cbegin(); it != recovered.cend(); ++it)
        m_events->agencyRecovered(it.key(), it->storedBets, it->lastSequence, it->done);
    m_registry->setDisabledAgencies(m_store->disabledAgencies());
    if (!m_registry->disabledAgencies().isEmpty()) {
        QList<quint32> disabled = m_registry->disabledAgencies().values();
        std::sort(disabled.begin(), disabled.end());
        QStringList numbers;
        for (quint32 agency : disabled)
            numbers << QString::number(agency);
        LOTTERY_LOG_SUCCESS("agencias_deshabilitadas")
            .field(u"agencias", numbers.join(u','))
            .field(u"motivo", "operador");
    }

    m_listener.setListenBacklogSize(m_config.listenBacklog);
    const QHostAddress address(m_config.ip);
    if (!m_listener.listen(address, m_config.port)) {
        m_error = QStringLiteral("cannot listen on %1:%2: %3")
                      .arg(m_config.ip)
                      .arg(m_config.port)
                      .arg(m_listener.errorString());
        return false;
    }
    {
        LogLine line = LOTTERY_LOG_SUCCESS("listen"); // written at the end of this block
        line.field(u"ip", m_config.ip); // an address: the loader resolved SERVER_IP's name
        if (!m_config.host.isEmpty())
            line.field(u"host", m_config.host);
        line.field(u"port", static_cast<int>(m_listener.serverPort()));
    }
    m_draw->start(m_config); // the notifier, a draw due since before a restart, the schedule
    return true;
}

namespace {

} // namespace

void LotteryServer::setAgencyEnabled(
    quint32 agency, bool enabled, std::function<void(const AgencySwitchDecision &)> done)
{
    using Kind = AgencySwitchDecision::Kind;
    AgencySwitchDecision refused;
    if (agency < 1 || agency > m_config.agencies) {
        refused.kind = Kind::UnknownAgency;
        refused.error = QStringLiteral("agency %1 is not one of this lottery's agencies 1..%2")
                            .arg(agency)
                            .arg(m_config.agencies);
    } else if (salesClose()) {
        refused.kind = Kind::AfterClose;
        refused.error = QStringLiteral("sales are closed: the draw is sealed, and disabling or "
                                       "enabling an agency cannot change it");
    } else if (!m_shutdown.isRunning()) {
        refused.error = QStringLiteral("the server is shutting down");
    }
    if (!refused.error.isEmpty()) {
        finishAgencySwitch(agency, enabled, refused);
        if (done)
            done(refused);
        return;
    }
    ++m_tasksInFlight;
    BetStore *store = m_store.get();
    const qint64 atMs = QDateTime::currentMSecsSinceEpoch();
    m_workers.run(
        [store, agency, enabled, atMs] { return store->setAgencyEnabled(agency, enabled, atMs); },
        [this, agency, enabled, done = std::move(done)](const AgencySwitchDecision &decision) {
            finishAgencySwitch(agency, enabled, decision);
            if (done)
                done(decision);
            taskDone();
        });
}

void LotteryServer::finishAgencySwitch(
    quint32 agency, bool enabled, const AgencySwitchDecision &decision)
{
    using Kind = AgencySwitchDecision::Kind;
    const QStringView action = enabled ? u"agencia_habilitada" : u"agencia_deshabilitada";
    if (decision.kind != Kind::Switched && decision.kind != Kind::Unchanged) {
        LogLine(LogLevel::Error, action, LogResult::Fail)
            .field(u"agencia", agency)
            .field(u"motivo", "operador")
            .field(u"error", decision.error);
        return;
    }
    int closing = 0;
    Session *live = m_registry->liveSession(agency);
    m_registry->setDisabled(agency, !enabled);
    if (enabled) {
        if (live)
            m_registry->keepOpen(live->id());
    } else {
        if (live && !live->isClosing()) {
            // A batch or DONE in flight is answered first (what was stored is acknowledged),
            // then the session closes; a welcome in flight is answered with the refusal.
            ++closing;
            if (live->hasTaskInFlight())
                m_registry->closeWhenAnswered(live->id());
            else
                refuseDisabledAgency(*live, agency);
        }
    }
    LogLine line(LogLevel::Info, action, LogResult::Success);
    line.field(u"agencia", agency).field(u"motivo", "operador");
    if (decision.kind == Kind::Unchanged)
        line.field(u"cambio", "ninguno"); // it already was in that state
    if (!enabled)
        line.field(u"sesiones_cerradas", closing);
}

void LotteryServer::refuseDisabledAgency(Session &session, quint32 agency)
{
    const QString reason = QStringLiteral("agency %1 is disabled by the operator").arg(agency);
    // Version 1 knows no code 19 (its decoder refuses it): the nearest it knows.
    session.fail(session.protocolVersion() >= protocol::kProtocolVersion2
            ? protocol::ErrorCode::AgencyDisabled
            : protocol::ErrorCode::InvalidAgency,
        reason);
}

bool LotteryServer::closeIfDisabledMeanwhile(Session &session)
{
    if (!m_registry->takeCloseWhenAnswered(session.id()))
        return false;
    refuseDisabledAgency(session, session.agency());
    return true;
}

void LotteryServer::startSession(QTcpSocket *socket)
{
    const quint64 id = m_nextSessionId++;
    SessionLimits limits; // the defaults are the real ones; these come from the configuration
    limits.idleTimeoutMs = m_config.idleTimeoutMs;
    limits.frameTimeoutMs = m_config.frameTimeoutMs;
    limits.helloTimeoutMs = m_config.helloTimeoutMs;
    auto *session
        = new Session(id, socket, limits, *this, SessionServices {&m_uploadAdmission, m_events});
    m_registry->add(session);
    session->start();
}

Session *LotteryServer::findSession(quint64 id) const
{
    return m_registry->find(id);
}

void LotteryServer::helloReceived(Session &session, const protocol::Hello &hello)
{
    using protocol::ErrorCode;
    session.setClaimedAgency(hello.agency);
    // HELLO carries the highest version the agency speaks; the session speaks the highest both
    // ends know. Version 2 needs a store that keeps digests (its receipts carry them).
    const quint16 serverVersion
        = m_store->keepsDigests() ? protocol::kLatestProtocolVersion : protocol::kProtocolVersion1;
    if (hello.version < protocol::kProtocolVersion1) {
        session.fail(ErrorCode::UnsupportedVersion,
            QStringLiteral("protocol version %1 is not supported (server speaks 1..%2)")
                .arg(hello.version)
                .arg(serverVersion));
        return;
    }
    session.setProtocolVersion(qMin(hello.version, serverVersion));
    if (hello.agency < 1 || hello.agency > m_config.agencies) {
        session.fail(ErrorCode::InvalidAgency,
            QStringLiteral("agency %1 is outside 1..%2").arg(hello.agency).arg(m_config.agencies));
        return;
    }
    if (!m_shutdown.isRunning()) {
        session.fail(ErrorCode::ShuttingDown, QStringLiteral("server is shutting down"));
        return;
    }
    // The session reads nothing more (a BATCH sent right behind the HELLO stays unread) until
    // WELCOME is sent: the token check and the welcome both run in the pool.
    session.holdForTask();
    if (!m_credentials) {
        takeOverAgency(session, hello.agency); // open mode: a token, if any, is ignored
        return;
    }
    if (!m_tokenChecks.submit(
            session.id(), session.peer(), hello.agency, QByteArray::fromStdString(hello.token))) {
        m_events->limitReached(PeerLimit::TokenCheckQueueFull);
        const QString reason
            = QStringLiteral("too many HELLOs wait for their token check (%1 in all, at most %2 "
                             "from one address): retry later")
                  .arg(m_tokenChecks.limits().maxPending)
                  .arg(m_tokenChecks.limits().maxPendingPerAddress);
        if (m_authFailureLines.allow()) {
            LOTTERY_LOG_FAIL("autenticacion")
                .field(u"agency", hello.agency)
                .field(u"ip", session.peer())
                .field(u"limit", toString(PeerLimit::TokenCheckQueueFull))
                .field(u"error", reason);
        }
        session.fail(ErrorCode::ServerBusy, reason);
    }
}

void LotteryServer::finishAuthentication(const TokenCheckQueue::Outcome &outcome)
{
    using Result = TokenCheckQueue::Result;
    const quint32 agency = outcome.agency;
    Session *session = findSession(outcome.session);
    const bool gone = !session || session->isClosing();
    if (outcome.result == Result::Cancelled)
        m_events->limitReached(PeerLimit::TokenCheckCancelled);
    if (outcome.result != Result::Accepted) {
        // Every failure is logged (rate-limited), the connection gone or not.
        const QString reason = outcome.result == Result::Cancelled
            ? QStringLiteral("the connection closed before its token was checked: not checked")
            : outcome.result == Result::MissingToken
            ? QStringLiteral("HELLO carries no token and this server requires one")
            : QStringLiteral("the token is not agency %1's").arg(agency);
        if (m_authFailureLines.allow()) {
            LOTTERY_LOG_FAIL("autenticacion")
                .field(u"agency", agency)
                .field(u"ip", outcome.peer)
                .field(u"error", reason);
        }
        if (!gone && outcome.result != Result::Cancelled)
            session->fail(protocol::ErrorCode::AuthenticationFailed, reason);
        return;
    }
    if (gone)
        return;
    if (!m_shutdown.isRunning()) {
        session->fail(protocol::ErrorCode::ShuttingDown, QStringLiteral("server is shutting down"));
        return;
    }
    LOTTERY_LOG_SUCCESS("autenticacion").field(u"agency", agency).field(u"ip", session->peer());
    takeOverAgency(*session, agency);
}

void LotteryServer::takeOverAgency(Session &session, quint32 agency)
{
    // The previous session stops at once: it hands no more batches to the pool, and what it
    // handed already is stored if valid but never acknowledged to it (its socket is closing).
    if (Session *previous = m_registry->takeOver(session, agency)) {
        previous->fail(protocol::ErrorCode::Superseded,
            QStringLiteral("a new session for agency %1 replaced this one").arg(agency));
    }
    session.setAgency(agency);
    if (m_agencyRequests.busy(agency)) {
        LOTTERY_LOG_PROGRESS("hello")
            .field(u"ip", session.peer())
            .field(u"agency", agency)
            .field(u"waiting_for", "writes of the previous session");
    }
    // Behind the agency's writes still in the store: the welcome reports what they decided.
    const quint64 id = session.id();
    m_agencyRequests.submit(agency, [this, id, agency] {
        Session *waiting = findSession(id);
        if (!waiting || waiting->isClosing())
            return false; // superseded or gone while it waited
        startWelcome(id, agency);
        return true;
    });
}

void LotteryServer::startWelcome(quint64 sessionId, quint32 agency)
{
    ++m_tasksInFlight;
    BetStore *store = m_store.get();
    m_workers.run(
        [store, agency] {
            QString error;
            auto progress = store->welcome(agency, QDeadlineTimer(kWelcomeWaitMs), &error);
            return std::make_pair(progress, error);
        },
        [this, sessionId, agency](const std::pair<std::optional<AgencyProgress>, QString> &r) {
            finishWelcome(sessionId, agency, r.first, r.second);
            m_agencyRequests.finished(agency);
        });
}

void LotteryServer::finishWelcome(quint64 sessionId, quint32 agency,
    const std::optional<AgencyProgress> &progress, const QString &error)
{
    Session *session = findSession(sessionId);
    if (session && !session->isClosing()) {
        if (!progress) {
            LOTTERY_LOG_FAIL("hello")
                .field(u"ip", session->peer())
                .field(u"agency", agency)
                .field(u"error", error);
            session->fail(m_shutdown.isRunning() ? protocol::ErrorCode::StorageFailure
                                                 : protocol::ErrorCode::ShuttingDown,
                error);
        } else if (progress->disabled || m_registry->takeCloseWhenAnswered(sessionId)) {
            // Decided after the token check, by the store's state read in this welcome: only
            // the agency's own token learns that it is disabled, and on a shared database every
            // instance sees the switch another one recorded.
            if (progress->disabled)
                m_registry->setDisabled(agency, true);
            refuseDisabledAgency(*session, agency);
        } else {
            m_registry->setDisabled(agency, false); // enabled again, perhaps by another instance
            const quint16 version = session->protocolVersion();
            protocol::Welcome welcome {version, progress->lastSequence, progress->storedBets};
            if (version >= protocol::kProtocolVersion2) {
                welcome.digest = progress->digest;
                welcome.flags = (progress->done ? protocol::Welcome::kDoneFlag : 0)
                    | (progress->salesClosed ? protocol::Welcome::kSalesClosedFlag : 0);
            }
            session->send(welcome);
            if (version >= protocol::kProtocolVersion2)
                session->setListableBets(progress->storedBets);
            auto line = LOTTERY_LOG_SUCCESS("hello");
            line.field(u"ip", session->peer())
                .field(u"agency", agency)
                .field(u"last_sequence", progress->lastSequence)
                .field(u"stored_bets", progress->storedBets)
                .field(u"done", progress->done ? "true" : "false")
                .field(u"version", version);
            if (version >= protocol::kProtocolVersion2)
                line.field(u"digest", digestHex(progress->digest));
            session->taskFinished(); // reads on: frames sent behind the HELLO are handled now
        }
    }
    taskDone();
}

void LotteryServer::batchesReceived(Session &session, ReceivedBatches batches)
{
    WriteRequest request;
    request.agency = session.agency();
    request.batches = std::move(batches);
    submitWrite(session, std::move(request));
}

void LotteryServer::submitWrite(Session &session, WriteRequest request)
{
    ++m_tasksInFlight;
    const quint64 id = session.id();
    const quint32 agency = session.agency();
    const QString peer = session.peer();
    const bool donePipelined = request.batches.doneFollows;
    // Written whether or not the session is still there when its turn comes: what it handed
    // over is stored if valid (a superseded session is just not answered).
    auto pending = std::make_shared<WriteRequest>(std::move(request));
    m_agencyRequests.submit(agency, [this, id, peer, agency, donePipelined, pending] {
        m_storeJobs.submit(std::move(*pending),
            [this, id, peer, agency, donePipelined](StoreJobOutput &&output, qint64 jobNs) {
                if (!output.outcomes.empty())
                    m_events->batchesDecided(agency, output.outcomes, jobNs, peer);
                finishWrite(id, peer, agency, donePipelined, output);
                m_agencyRequests.finished(agency);
            });
        return true;
    });
}

void LotteryServer::finishWrite(quint64 sessionId, const QString &peer, quint32 agency,
    bool donePipelined, const StoreJobOutput &output)
{
    Session *session = findSession(sessionId);
    // In order, all at once: the acks (and the DONE_ACK of a DONE that rode behind them) leave
    // in one write. A superseded session's socket is closing already: its batches are stored
    // if valid, but it gets no answer.
    if (session)
        session->holdAnswers();
    for (const BatchOutcome &outcome : output.outcomes)
        answerBatch(session, peer, agency, outcome);
    bool drawDue = false;
    if (output.doneAttempted) {
        drawDue = answerDone(session, agency, output.done);
    } else if (donePipelined) {
        // Not recorded: a batch before it was not acknowledged (its REJECT went first). The
        // rule a DONE after a REJECT meets on the session (Session::refuseDone()).
        LOTTERY_LOG_FAIL("agencia_finalizada")
            .field(u"agency", agency)
            .field(u"error", Session::doneAfterRejectReason());
        if (session)
            session->refuseDone();
    }
    if (session) {
        session->releaseAnswers();
        closeIfDisabledMeanwhile(*session);
        session->taskFinished();
    }
    if (drawDue && output.draw)
        m_draw->drawRead(*output.draw, output.drawMs);
    else if (drawDue)
        m_draw->drawDue();
    taskDone();
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
        if (session && session->protocolVersion() >= protocol::kProtocolVersion2) {
            session->send(protocol::Receipt {outcome.ack.sequence, outcome.ack.count,
                outcome.ack.duplicate, outcome.storedBets, outcome.digest});
        } else if (session) {
            session->send(outcome.ack);
        }
        break;
    case BatchOutcome::Kind::Rejected:
        // A peer sends as many invalid batches as it likes: rate-limited.
        if (m_rejectLines.allow()) {
            LOTTERY_LOG_FAIL("apuesta_recibida")
                .field(u"cantidad", outcome.betCount)
                .field(u"agency", agency)
                .field(u"sequence", outcome.reject.sequence)
                .field(u"code", protocol::toString(outcome.reject.code))
                .field(u"error", outcome.error)
                .field(u"ip", peer);
        }
        if (session) {
            session->noteBatchRejected();
            if (outcome.reject.code == protocol::ErrorCode::SalesClosed
                && session->protocolVersion() < protocol::kProtocolVersion2) {
                // Version 1 knows no code 18 (its decoder refuses it): the nearest it knows.
                protocol::Reject reject = outcome.reject;
                reject.code = protocol::ErrorCode::BatchAfterDone;
                session->send(reject);
            } else {
                session->send(outcome.reject);
            }
        }
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
    WriteRequest request;
    request.agency = session.agency();
    request.done = true;
    submitWrite(session, std::move(request));
}

bool LotteryServer::answerDone(Session *session, quint32 agency, const DoneDecision &decision)
{
    m_events->doneDecided(agency, decision.ok ? QString() : decision.error);
    // A repeated DONE is the peer's choice, as often as it likes: rate-limited; the first is not.
    if (decision.ok && (decision.firstTime || m_repeatedDoneLines.allow())) {
        LOTTERY_LOG_SUCCESS("agencia_finalizada")
            .field(u"agency", agency)
            .field(u"repeated", decision.firstTime ? "false" : "true");
    }
    if (decision.ok) {
        if (decision.closedNow)
            m_draw->salesClosed(*decision.closedNow);
        if (session)
            session->send(protocol::DoneAck {});
    } else {
        LOTTERY_LOG_FAIL("agencia_finalizada")
            .field(u"agency", agency)
            .field(u"error", decision.error);
        if (session) {
            session->fail(m_shutdown.isRunning() ? protocol::ErrorCode::StorageFailure
                                                 : protocol::ErrorCode::ShuttingDown,
                decision.error);
        }
    }
    return decision.ok && decision.allDone;
}

void LotteryServer::taskDone()
{
    --m_tasksInFlight;
    if (m_tasksInFlight == 0)
        m_shutdown.tasksDrained();
}

void LotteryServer::winnersRequested(Session &session)
{
    m_draw->winnersRequested(session);
}

void LotteryServer::closeSales(
    protocol::CloseReason reason, std::function<void(const CloseDecision &)> done)
{
    if (m_draw) {
        m_draw->closeSales(reason, std::move(done));
        return;
    }
    if (done) {
        CloseDecision refused;
        refused.error = QStringLiteral("the server has not started");
        done(refused);
    }
}

const std::optional<SalesClose> &LotteryServer::salesClose() const
{
    static const std::optional<SalesClose> none;
    return m_draw ? m_draw->salesCloseKnown() : none;
}

void LotteryServer::storedBetsRequested(Session &session, const protocol::ListStored &request)
{
    if (!m_store->listsStoredBets()) {
        session.fail(protocol::ErrorCode::UnexpectedMessage,
            QStringLiteral("this server's store (%1) cannot list stored bets")
                .arg(m_store->describe()));
        return;
    }
    ++m_tasksInFlight;
    const quint64 id = session.id();
    const quint32 agency = session.agency();
    const quint64 from = request.from;
    const bool now = m_storedLists.submit(
        agency, from, request.count, [this, id, agency, from](StoredListQueue::Result &&result) {
            finishStoredList(id, agency, from, std::move(result));
        });
    if (!now)
        m_events->limitReached(PeerLimit::ListStoredWaited);
}

void LotteryServer::finishStoredList(
    quint64 sessionId, quint32 agency, quint64 from, StoredListQueue::Result &&result)
{
    Session *session = findSession(sessionId);
    if (session && !session->isClosing()) {
        const auto count = static_cast<quint64>(result.bets.size());
        // A peer asks as often as its connections allow: rate-limited, failures included.
        if (m_listLines.allow()) {
            if (result.ok) {
                LOTTERY_LOG_SUCCESS("listado_apuestas")
                    .field(u"agency", agency)
                    .field(u"from", from)
                    .field(u"count", count)
                    .field(u"ip", session->peer());
            } else {
                LOTTERY_LOG_FAIL("listado_apuestas")
                    .field(u"agency", agency)
                    .field(u"from", from)
                    .field(u"error", result.error)
                    .field(u"ip", session->peer());
            }
        }
        if (!result.ok) {
            session->fail(m_shutdown.isRunning() ? protocol::ErrorCode::StorageFailure
                                                 : protocol::ErrorCode::ShuttingDown,
                result.error);
        } else {
            session->holdAnswers(); // every chunk in one write
            for (const protocol::StoredList &chunk :
                protocol::chunkStoredList(from, std::move(result.bets)))
                session->send(chunk);
            session->releaseAnswers();
            session->taskFinished();
        }
    }
    taskDone();
}

void LotteryServer::sessionClosed(Session &session)
{
    if (m_tokenChecks.pending() > 0 && !session.hasAgency())
        m_tokenChecks.cancel(session.id()); // no PBKDF2 work for a connection already gone
    // A welcome still waiting in m_agencyRequests finds no session when its turn comes.
    m_registry->retire(session);
    if (m_registry->count() == 0)
        m_shutdown.sessionsClosed();
}

StatusSnapshot LotteryServer::statusSnapshot() const
{
    StatusSnapshot snapshot;
    snapshot.agenciesExpected = m_config.agencies;
    snapshot.storageOpen
        = m_store != nullptr && m_shutdown.phase() != ShutdownSequence::Phase::Done;
    snapshot.listening = m_listener.isListening();
    snapshot.shuttingDown = !m_shutdown.isRunning();
    snapshot.tasksInFlight = m_tasksInFlight;
    snapshot.uploadSlotsInUse = m_uploadAdmission.inUse();
    snapshot.uploadSlotsWaiting = m_uploadAdmission.waiting();
    snapshot.uploadBufferBytes = m_uploadAdmission.bytesReserved();
    snapshot.uploadBufferLimitBytes = m_uploadAdmission.budget();
    snapshot.tokenChecksPending = m_tokenChecks.pending();
    if (m_store) {
        // The file store's files (lottery_storage_bytes); a database store has none here.
        snapshot.storagePath = m_config.storagePath;
        snapshot.journalPath = m_config.storagePath + QStringLiteral(".journal");
    }
    m_registry->forEachSession([&snapshot](const Session *session) {
        snapshot.addSession(session->agency(), session->isWaitingForDraw());
    });
    snapshot.closeSupported = m_store && m_store->keepsDigests();
    snapshot.disabledAgencies = m_registry->disabledAgencies();
    if (m_config.salesClose.isValid())
        snapshot.salesCloseScheduled = m_config.salesClose.toString(Qt::ISODate);
    if (const std::optional<SalesClose> &close = salesClose()) {
        snapshot.salesClosed = true;
        snapshot.closeReason = QLatin1String(closeReasonText(close->reason));
        snapshot.closedAtMs = close->closedAtMs;
        snapshot.closeAgenciesDone = close->agenciesDone;
        snapshot.closeBets = close->totalBets;
        snapshot.seal = digestHex(close->root);
    }
    return snapshot;
}

void LotteryServer::shutdown()
{
    m_shutdown.start();
}

void LotteryServer::finishShutdown()
{
    const QList<Session *> remaining = m_registry->sessions();
    for (Session *session : remaining)
        session->abort();
    m_registry->dropAll();
    m_agencyRequests.clear();
    m_tokenChecks.clear();
    LOTTERY_LOG_PROGRESS("shutdown")
        .field(u"step", "sockets_closed")
        .field(u"aborted", remaining.size());

    // Workers waiting for a sync give up now instead of at their deadlines.
    m_store->requestStop();
    logShutdownStep("stop_workers");
    if (m_workers.waitForDone(kWorkersTimeoutMs)) {
        logShutdownStep("workers_stopped");
    } else {
        LOTTERY_LOG_FAIL("shutdown")
            .field(u"step", "workers_stopped")
            .field(
                u"error", QStringLiteral("workers still busy after %1 ms").arg(kWorkersTimeoutMs));
    }
    m_store->close();
    logShutdownStep("files_closed");
    const BetStore::Stats stats = m_store->stats();
    LOTTERY_LOG_SUCCESS("estadisticas")
        .field(u"batches", stats.batches)
        .field(u"bets", stats.bets)
        .field(u"bytes", stats.bytes)
        .field(u"commits", stats.commits)
        .field(u"fsyncs", stats.syncs)
        .field(u"vmhwm_kib", peakResidentKib());
    LOTTERY_LOG_SUCCESS("shutdown");
    emit finished();
}

} // namespace lottery::server
