#include "lottery/agency/agency_session.h"

#include "lottery/agency/upload_pump.h"
#include "lottery/protocol/limits.h"
#include "server_connection.h"

namespace lottery::agency {

namespace {

using Status = UploadPump::Status;
using Kind = UploadError::Kind;

ServerConnectionOptions connectionOptions(const AgencySessionOptions &o)
{
    return ServerConnectionOptions {o.servers, o.caFile, o.initialRetryDelay, o.maxRetryDelay};
}

UploadPumpOptions pumpOptions(const AgencySessionOptions &o)
{
    return UploadPumpOptions {o.agency, o.token, o.dataFile, o.batchMaxBets, o.window, o.today,
        o.protocolVersion, o.withholdDoneIfSuspicious};
}

// Failures after which the pump told the server why (an ERROR is queued): close gracefully.
bool sentAnError(Kind kind)
{
    return kind == Kind::ProtocolViolation || kind == Kind::VersionMismatch
        || kind == Kind::AcknowledgedBetsLost || kind == Kind::ReceiptMismatch
        || kind == Kind::SealMismatch;
}

} // namespace

AgencySession::AgencySession(const AgencySessionOptions &options, QObject *parent)
    : QObject(parent), m_options(options),
      m_connection(std::make_unique<ServerConnection>(connectionOptions(options))),
      m_pump(std::make_unique<UploadPump>(pumpOptions(options),
          [connection = m_connection.get()](std::string_view frame) { connection->send(frame); }))
{
    qRegisterMetaType<lottery::agency::UploadError>();
    m_responseTimer.setSingleShot(true);
    m_pumpTimer.setSingleShot(true);
    m_pumpTimer.setInterval(0);
    connect(&m_responseTimer, &QTimer::timeout, this, &AgencySession::onResponseTimeout);
    connect(&m_pumpTimer, &QTimer::timeout, this, &AgencySession::runPump);

    ServerConnection *c = m_connection.get();
    connect(c, &ServerConnection::retrying, this, &AgencySession::connectRetry);
    connect(c, &ServerConnection::established, this, &AgencySession::onEstablished);
    connect(c, &ServerConnection::messageReceived, this, &AgencySession::onMessage);
    connect(c, &ServerConnection::malformed, this, [this](const protocol::DecodeError &error) {
        m_pump->protocolViolation(error.wireCode(),
            QStringLiteral("malformed frame from the server: ")
                + QString::fromStdString(error.toString()));
        handleFailure(m_pump->failure());
    });
    connect(c, &ServerConnection::lost, this, [this](const QString &reason) {
        UploadError error;
        error.kind = Kind::ConnectionLost;
        error.message = reason;
        handleFailure(error);
    });
    connect(c, &ServerConnection::gaveUp, this, [this](UploadError error) {
        // Gave up within an outage that a server's code started: that code is the cause.
        if (m_reconnecting && m_outageCause.code && !error.code)
            error.code = m_outageCause.code;
        finishFailed(error);
    });

    UploadPump *p = m_pump.get();
    connect(p, &UploadPump::welcomed, this, &AgencySession::welcomed);
    connect(p, &UploadPump::protocolAgreed, this, &AgencySession::protocolAgreed);
    connect(p, &UploadPump::storedBetsVerified, this, &AgencySession::storedBetsVerified);
    connect(p, &UploadPump::listingStoredBets, this, &AgencySession::listingStoredBets);
    connect(p, &UploadPump::storedBetsMatched, this, &AgencySession::storedBetsMatched);
    connect(p, &UploadPump::receiptReceived, this, &AgencySession::receiptReceived);
    connect(p, &UploadPump::sealVerified, this, &AgencySession::sealVerified);
    connect(p, &UploadPump::invalidRow, this, &AgencySession::invalidRow);
    connect(p, &UploadPump::batchSent, this, &AgencySession::batchSent);
    connect(p, &UploadPump::batchAcknowledged, this, &AgencySession::batchAcknowledged);
    connect(p, &UploadPump::uploadCompleted, this, &AgencySession::uploadCompleted);
    // An outage is over once the server makes progress again, not at its WELCOME: a server that
    // welcomes and then refuses every batch (storage_failure) must not restart the clock.
    connect(p, &UploadPump::batchAcknowledged, this, &AgencySession::settle);
    connect(p, &UploadPump::uploadCompleted, this, &AgencySession::settle);
    connect(p, &UploadPump::winnersReceived, this, &AgencySession::winnersReceived);
}

AgencySession::~AgencySession()
{
    closeEverything(false);
}

bool AgencySession::isRunning() const
{
    switch (m_phase) {
    case Phase::Idle: return m_started;
    case Phase::Connecting:
    case Phase::Sending:
    case Phase::WaitingForDraw: return true;
    case Phase::Done:
    case Phase::Failed:
    case Phase::Cancelled: return false;
    }
    return false;
}

qint64 AgencySession::rowsSkipped() const
{
    return m_pump->rowsSkipped();
}
qint64 AgencySession::betsSent() const
{
    return m_pump->betsSent();
}
qint64 AgencySession::betsAcknowledged() const
{
    return m_pump->betsAcknowledged();
}
qint64 AgencySession::invalidRows() const
{
    return m_pump->invalidRows();
}
qint64 AgencySession::batchesSent() const
{
    return m_pump->batchesSent();
}
qint64 AgencySession::batchesAcknowledged() const
{
    return m_pump->batchesAcknowledged();
}
qint64 AgencySession::duplicateBatches() const
{
    return m_pump->duplicateBatches();
}
int AgencySession::batchesInFlight() const
{
    return m_pump->batchesInFlight();
}
int AgencySession::connectAttempts() const
{
    return m_connection->attempts();
}
qint64 AgencySession::bytesRead() const
{
    return m_pump->bytesRead();
}
qint64 AgencySession::fileSize() const
{
    return m_pump->fileSize();
}
ServerAddress AgencySession::currentServer() const
{
    return m_connection->currentServer();
}
quint64 AgencySession::serverLastSequence() const
{
    return m_pump->serverLastSequence();
}
quint64 AgencySession::serverStoredBets() const
{
    return m_pump->firstStoredBets();
}
qint64 AgencySession::betsStoredOnServer() const
{
    return static_cast<qint64>(m_pump->firstStoredBets()) + m_pump->betsAcknowledged();
}

quint16 AgencySession::protocolVersion() const
{
    return m_pump->protocolVersion();
}

const UploadReceipt &AgencySession::receipt() const
{
    return m_pump->receipt();
}

const std::optional<protocol::Sealed> &AgencySession::sealed() const
{
    return m_pump->sealed();
}

const BetFileCheck &AgencySession::fileCheck() const
{
    return m_pump->fileCheck();
}
QStringList AgencySession::winners() const
{
    return m_pump->winners();
}

QString AgencySession::validateOptions() const
{
    const AgencySessionOptions &o = m_options;
    if (o.agency == 0)
        return QStringLiteral("agency number must be 1 or more");
    if (o.servers.isEmpty())
        return QStringLiteral("no server address");
    for (const ServerAddress &server : o.servers) {
        if (server.host.isEmpty())
            return QStringLiteral("server host is empty");
        if (server.port == 0)
            return QStringLiteral("server port must be 1..65535");
    }
    if (o.dataFile.isEmpty())
        return QStringLiteral("data file path is empty");
    if (o.batchMaxBets < 1 || o.batchMaxBets > 0xFFFF)
        return QStringLiteral("batch max bets must be 1..65535, not %1").arg(o.batchMaxBets);
    if (o.window < 1)
        return QStringLiteral("window must be 1 or more, not %1").arg(o.window);
    if (o.connectTimeout.count() < 0 || o.initialRetryDelay.count() < 1
        || o.maxRetryDelay < o.initialRetryDelay)
        return QStringLiteral("connect timeout and retry delays are inconsistent");
    if (o.responseTimeout.count() < 1 || o.drawTimeout.count() < 0)
        return QStringLiteral("response timeout must be positive and draw timeout not negative");
    if (static_cast<std::size_t>(o.token.toUtf8().size()) > protocol::kMaxTextBytes)
        return QStringLiteral("token is longer than %1 bytes").arg(protocol::kMaxTextBytes);
    return {};
}

void AgencySession::start()
{
    if (m_phase != Phase::Idle || m_started)
        return;
    m_started = true;
    QTimer::singleShot(0, this, &AgencySession::begin);
}

void AgencySession::begin()
{
    if (m_phase != Phase::Idle)
        return; // cancelled before the event loop got here
    UploadError error;
    if (const QString problem = validateOptions(); !problem.isEmpty()) {
        error.kind = Kind::InvalidOptions;
        error.message = QStringLiteral("invalid options: ") + problem;
        finishFailed(error);
        return;
    }
    if (!m_pump->openFile()) {
        finishFailed(m_pump->failure());
        return;
    }
    if (QString problem; !m_connection->prepare(&problem)) {
        error.kind = Kind::TlsError;
        error.message = problem;
        finishFailed(error);
        return;
    }
    setPhase(Phase::Connecting);
    if (m_phase == Phase::Connecting)
        m_connection->open(m_options.connectTimeout.count());
}

void AgencySession::cancel()
{
    if (m_phase != Phase::Idle && !isRunning())
        return;
    closeEverything(false);
    setPhase(Phase::Cancelled);
}

void AgencySession::setPhase(Phase phase)
{
    if (m_phase == phase)
        return;
    m_phase = phase;
    emit phaseChanged(phase);
}

void AgencySession::closeEverything(bool graceful)
{
    m_responseTimer.stop();
    m_pumpTimer.stop();
    m_connection->close(graceful);
    m_pump->closeFile();
}

void AgencySession::finishFailed(const UploadError &failure)
{
    if (!isRunning())
        return;
    m_error = failure;
    if (m_error.server.isEmpty() && m_phase != Phase::Idle)
        m_error.server = m_connection->currentServer().toString();
    closeEverything(sentAnError(failure.kind));
    setPhase(Phase::Failed);
    emit failed(m_error);
}

// ---------------------------------------------------------------------------------------------
// The conversation

void AgencySession::onEstablished()
{
    emit connected();
    if (m_phase != Phase::Connecting)
        return;
    if (!m_pump->startConnection()) {
        finishFailed(m_pump->failure());
        return;
    }
    armResponseTimer();
}

void AgencySession::onMessage(const protocol::Message &message)
{
    if (!isRunning())
        return;
    const bool wasAwaitingWelcome = m_pump->awaiting() == UploadPump::Awaiting::Welcome;
    const Status status = m_pump->receive(message);
    if (isRunning())
        handle(static_cast<int>(status), wasAwaitingWelcome);
}

void AgencySession::handle(int statusValue, bool wasAwaitingWelcome)
{
    const auto status = static_cast<Status>(statusValue);
    switch (status) {
    case Status::Failed: handleFailure(m_pump->failure()); return;
    case Status::Finished:
        closeEverything(true);
        setPhase(Phase::Done);
        emit finished();
        return;
    case Status::Ready:
    case Status::Waiting: break;
    }
    if (wasAwaitingWelcome) {
        if (m_phase == Phase::Connecting)
            setPhase(Phase::Sending);
        if (m_phase != Phase::Sending)
            return; // cancelled from a slot
    }
    if (m_pump->awaiting() == UploadPump::Awaiting::Winners && m_phase == Phase::Sending) {
        setPhase(Phase::WaitingForDraw);
        if (m_phase != Phase::WaitingForDraw)
            return;
    }
    if (status == Status::Ready)
        runPump();
    else
        armResponseTimer();
}

void AgencySession::runPump()
{
    if (m_phase != Phase::Sending)
        return;
    const Status status = m_pump->step();
    if (!isRunning())
        return; // cancelled from a slot
    if (status == Status::Failed) {
        handleFailure(m_pump->failure());
        return;
    }
    if (status == Status::Ready)
        m_pumpTimer.start(); // let socket events (and cancel) in before reading on
    armResponseTimer();
}

void AgencySession::armResponseTimer()
{
    using Awaiting = UploadPump::Awaiting;
    switch (m_pump->awaiting()) {
    case Awaiting::Welcome:
    case Awaiting::StoredList:
    case Awaiting::DoneAck:
        m_responseTimer.start(static_cast<int>(m_options.responseTimeout.count()));
        return;
    case Awaiting::Acks:
        if (m_pump->batchesInFlight() > 0)
            m_responseTimer.start(static_cast<int>(m_options.responseTimeout.count()));
        else
            m_responseTimer.stop();
        return;
    case Awaiting::Winners:
        if (m_options.drawTimeout.count() > 0)
            m_responseTimer.start(static_cast<int>(m_options.drawTimeout.count()));
        else
            m_responseTimer.stop();
        return;
    case Awaiting::Nothing: m_responseTimer.stop(); return;
    }
}

void AgencySession::onResponseTimeout()
{
    const bool draw = m_pump->awaiting() == UploadPump::Awaiting::Winners;
    UploadError error;
    error.kind = Kind::ResponseTimeout;
    error.message
        = QStringLiteral("no answer from the server within %1 ms while %2")
              .arg(draw ? m_options.drawTimeout.count() : m_options.responseTimeout.count())
              .arg(m_pump->awaitingText());
    // A silent server is failed over; an exhausted drawTimeout is the user's own limit.
    error.code = std::nullopt;
    if (draw) {
        finishFailed(error);
        return;
    }
    handleFailure(error);
}

// ---------------------------------------------------------------------------------------------
// The retry rules (docs/PROTOCOL.md, "What the agency does on each code")

AgencySession::Recovery AgencySession::recoveryFor(const UploadError &error) const
{
    switch (error.kind) {
    case Kind::ConnectionLost:
    case Kind::ResponseTimeout: return Recovery::NextServer;
    case Kind::ServerError:
    case Kind::BatchRejected:
        if (!error.code)
            return Recovery::None;
        switch (retryRuleFor(*error.code)) {
        case RetryRule::Fail: return Recovery::None;
        case RetryRule::NextServer: return Recovery::NextServer;
        case RetryRule::Resync: return Recovery::SameServer;
        }
        return Recovery::None;
    default: return Recovery::None;
    }
}

void AgencySession::handleFailure(UploadError error)
{
    if (!isRunning())
        return;
    error.server = m_connection->currentServer().toString();
    // A server older than this agency refuses the version HELLO offered: speak version 1 to it
    // (the course's protocol; resume by count, no receipts), once, on the same server.
    if (error.kind == Kind::ServerError && error.code == protocol::ErrorCode::UnsupportedVersion
        && m_pump->offeredVersion() > protocol::kProtocolVersion1) {
        m_pump->setOfferedVersion(protocol::kProtocolVersion1);
        recover(error, false);
        return;
    }
    switch (recoveryFor(error)) {
    case Recovery::None: finishFailed(error); return;
    case Recovery::NextServer:
        if (m_options.reconnectTimeout.count() <= 0) {
            finishFailed(error);
            return;
        }
        recover(error, true);
        return;
    case Recovery::SameServer:
        if (m_resyncs >= kMaxResyncs) {
            UploadError limit = error;
            limit.kind = Kind::ResyncLimit;
            limit.message = QStringLiteral("gave up after resuming %1 times from a new WELCOME "
                                           "of %2: %3")
                                .arg(m_resyncs)
                                .arg(error.server, error.message);
            finishFailed(limit);
            return;
        }
        ++m_resyncs;
        recover(error, false);
        return;
    }
}

void AgencySession::settle()
{
    m_reconnecting = false;
    m_outageCause = UploadError {};
    m_connection->settled();
}

void AgencySession::recover(const UploadError &cause, bool nextServer)
{
    const QString &reason = cause.message;
    m_responseTimer.stop();
    m_pumpTimer.stop();
    const bool newOutage = !m_reconnecting;
    const qint64 limitMs = m_options.reconnectTimeout.count() > 0
        ? m_options.reconnectTimeout.count()
        : m_options.connectTimeout.count();
    if (newOutage) {
        m_reconnecting = true;
        ++m_reconnections;
        m_outageCause = cause;
        emit reconnecting(reason, static_cast<int>(limitMs));
        if (!isRunning())
            return;
    }
    setPhase(Phase::Connecting);
    if (m_phase != Phase::Connecting)
        return; // cancelled from a slot
    m_connection->reconnect(limitMs, newOutage, nextServer, reason);
}

} // namespace lottery::agency
