#include "lottery/agency/agency_session.h"

#include "lottery/agency/bet_file_reader.h"
#include "lottery/protocol/bet.h"
#include "lottery/protocol/codec.h"

#include <QFile>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTcpSocket>

#include <algorithm>
#include <deque>
#include <vector>

namespace lottery::agency {

namespace {

// Rows read per step before returning to the event loop, so that a long run of invalid or skipped
// rows never holds up socket events (or a cancel) for long.
constexpr int kRowsPerStep = 1024;

// Kernel send buffer (the kernel may cap it): what does not fit waits in the socket's own buffer,
// which holds at most a window of 8 KiB frames.
constexpr int kSendBufferBytes = 256 * 1024;

// Our own read buffer: frames from the server are small; the socket stops reading past this.
constexpr qint64 kReadBufferBytes = 64 * 1024;

QString fromStd(const std::string &text)
{
    return QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size()));
}

std::string toStd(const QString &text)
{
    return text.toUtf8().toStdString();
}

} // namespace

class AgencySession::Private
{
public:
    enum class Awaiting { Nothing, Welcome, Acks, DoneAck, Winners };

    struct InFlight {
        quint64 sequence = 0;
        std::vector<qint64> lines; // file line of each bet, to name the one a REJECT points at
    };

    explicit Private(int batchMaxBets) : encoder(static_cast<std::size_t>(batchMaxBets)) { }

    BetFileReader reader;
    protocol::StreamDecoder decoder;
    // The next BATCH frame, encoded bet by bet as rows are read (no Bet objects on the way).
    protocol::BatchFrameEncoder encoder;
    std::vector<qint64> encoderLines; // file line of each bet in `encoder`
    // Read but not fitting in the current batch (or the window was full). Its fields view the
    // reader's buffer, valid because the reader is not advanced until it is encoded.
    std::optional<protocol::BetView> pendingBet;
    qint64 pendingLine = 0;
    std::deque<InFlight> inFlight;
    quint64 nextSequence = 1;
    quint64 toSkip = 0;
    bool started = false;
    bool established = false;
    bool fileExhausted = false;
    bool doneSent = false;
    bool countSkips = true; // false after a reconnection: those rows were counted as acked
    bool welcomedBefore = false;
    quint64 firstStoredBets = 0; // storedBets of the first WELCOME
    qint64 lastReportedInvalidLine = 0; // a reconnection rereads the file: report each row once
    Awaiting awaiting = Awaiting::Nothing;
    QStringList winners;
    std::string frame; // reused for every outgoing frame
};

AgencySession::AgencySession(const AgencySessionOptions &options, QObject *parent)
    : QObject(parent), m_options(options),
      d(std::make_unique<Private>(std::clamp(options.batchMaxBets, 1, 0xFFFF)))
{
    for (QTimer *timer : {&m_retryTimer, &m_attemptTimer, &m_responseTimer})
        timer->setSingleShot(true);
    m_pumpTimer.setSingleShot(true);
    m_pumpTimer.setInterval(0);
    connect(&m_retryTimer, &QTimer::timeout, this, &AgencySession::attemptConnect);
    connect(&m_attemptTimer, &QTimer::timeout, this, [this] {
        if (m_socket)
            m_socket->abort();
        onConnectFailure(QStringLiteral("connection attempt timed out"));
    });
    connect(&m_responseTimer, &QTimer::timeout, this, &AgencySession::onResponseTimeout);
    connect(&m_pumpTimer, &QTimer::timeout, this, &AgencySession::pump);
}

AgencySession::~AgencySession()
{
    closeEverything(false);
}

bool AgencySession::isRunning() const
{
    switch (m_phase) {
    case Phase::Idle: return d->started;
    case Phase::Connecting:
    case Phase::Sending:
    case Phase::WaitingForDraw: return true;
    case Phase::Done:
    case Phase::Failed:
    case Phase::Cancelled: return false;
    }
    return false;
}

qint64 AgencySession::bytesRead() const
{
    return d->reader.bytesRead();
}

qint64 AgencySession::fileSize() const
{
    return d->reader.fileSize();
}

QString AgencySession::validateOptions() const
{
    const AgencySessionOptions &o = m_options;
    if (o.agency == 0)
        return QStringLiteral("agency number must be 1 or more");
    if (o.host.isEmpty())
        return QStringLiteral("server host is empty");
    if (o.port == 0)
        return QStringLiteral("server port must be 1..65535");
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
    if (toStd(o.token).size() > protocol::kMaxTextBytes)
        return QStringLiteral("token is longer than %1 bytes").arg(protocol::kMaxTextBytes);
    return {};
}

void AgencySession::start()
{
    if (m_phase != Phase::Idle || d->started)
        return;
    d->started = true;
    // Queued, so that even an immediate failure reaches slots connected after start().
    QTimer::singleShot(0, this, &AgencySession::begin);
}

void AgencySession::begin()
{
    if (m_phase != Phase::Idle)
        return; // cancelled before the event loop got here
    if (const QString problem = validateOptions(); !problem.isEmpty()) {
        fail(FailureKind::InvalidOptions, QStringLiteral("invalid options: ") + problem);
        return;
    }
    d->reader.setToday(m_options.today);
    if (!d->reader.open(m_options.dataFile)) {
        fail(FailureKind::FileError, d->reader.errorString());
        return;
    }
    if (m_options.caFile.isEmpty()) {
        m_socket = new QTcpSocket(this);
        connect(m_socket, &QTcpSocket::connected, this, &AgencySession::onConnected);
    } else {
        QSslSocket *tls = createTlsSocket();
        if (!tls)
            return; // failed
        m_socket = tls;
        // The session starts once the server is verified, not when TCP connects.
        connect(tls, &QSslSocket::encrypted, this, &AgencySession::onConnected);
    }
    m_socket->setReadBufferSize(kReadBufferBytes);
    connect(m_socket, &QTcpSocket::errorOccurred, this, &AgencySession::onSocketError);
    connect(m_socket, &QTcpSocket::disconnected, this, &AgencySession::onDisconnected);
    connect(m_socket, &QTcpSocket::readyRead, this, &AgencySession::onReadyRead);
    m_nextRetryDelayMs = static_cast<int>(m_options.initialRetryDelay.count());
    m_connectClock.start();
    setPhase(Phase::Connecting);
    if (m_phase == Phase::Connecting)
        attemptConnect();
}

QSslSocket *AgencySession::createTlsSocket()
{
    const auto refuse = [this](const QString &problem) -> QSslSocket * {
        fail(FailureKind::TlsError, problem);
        return nullptr;
    };
    if (!QSslSocket::supportsSsl())
        return refuse(QStringLiteral("TLS is not available in this Qt (no TLS backend)"));
    QFile file(m_options.caFile);
    if (!file.open(QIODevice::ReadOnly))
        return refuse(QStringLiteral("CA file %1: %2").arg(m_options.caFile, file.errorString()));
    const QList<QSslCertificate> authorities = QSslCertificate::fromData(file.readAll());
    if (authorities.isEmpty())
        return refuse(QStringLiteral("CA file %1 holds no PEM certificate").arg(m_options.caFile));
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setProtocol(QSsl::TlsV1_2OrLater);
    configuration.setCaCertificates(authorities); // only these: not the system's CAs
    configuration.setPeerVerifyMode(QSslSocket::VerifyPeer);
    auto *socket = new QSslSocket(this);
    socket->setSslConfiguration(configuration);
    // Never ignored: the handshake then fails and onSocketError() ends the session.
    connect(socket, &QSslSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
        QStringList texts;
        for (const QSslError &error : errors)
            texts << error.errorString();
        m_tlsErrors = texts.join(QStringLiteral("; "));
    });
    return socket;
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

void AgencySession::fail(
    FailureKind kind, const QString &message, std::optional<protocol::ErrorCode> code)
{
    if (!isRunning())
        return;
    if (shouldReconnect(kind, code)) {
        reconnectAfter(message);
        return;
    }
    m_failureKind = kind;
    m_errorString = message;
    m_lastErrorCode = code;
    closeEverything(false);
    setPhase(Phase::Failed);
    emit failed(message);
}

void AgencySession::closeEverything(bool graceful)
{
    m_retryTimer.stop();
    m_attemptTimer.stop();
    m_responseTimer.stop();
    m_pumpTimer.stop();
    d->awaiting = Private::Awaiting::Nothing;
    if (m_socket) {
        m_socket->disconnect(this); // no more socket signals reach a finished session
        if (graceful && m_socket->state() == QAbstractSocket::ConnectedState)
            m_socket->disconnectFromHost(); // sends what is queued (a final ERROR), then FIN
        else
            m_socket->abort();
    }
    d->reader.close();
}

// ---------------------------------------------------------------------------------------------
// Reconnecting

bool AgencySession::shouldReconnect(FailureKind kind, std::optional<protocol::ErrorCode> code) const
{
    if (m_options.reconnectTimeout.count() <= 0)
        return false;
    switch (kind) {
    case FailureKind::ConnectionLost: return true;
    case FailureKind::ResponseTimeout:
        // A silent server is retried; an exhausted drawTimeout is the user's own limit.
        return d->awaiting != Private::Awaiting::Winners;
    case FailureKind::ServerError:
        // Transient server states only: the same HELLO would get the same answer otherwise.
        return code
            && (*code == protocol::ErrorCode::ShuttingDown
                || *code == protocol::ErrorCode::ServerBusy
                || *code == protocol::ErrorCode::Timeout);
    default: return false;
    }
}

qint64 AgencySession::connectLimitMs() const
{
    return m_reconnecting ? m_options.reconnectTimeout.count() : m_options.connectTimeout.count();
}

void AgencySession::resetUploadState()
{
    // Unacknowledged batches are forgotten: the next WELCOME says what the server stored, and the
    // file is read again from the top, skipping that many valid rows.
    d->decoder = protocol::StreamDecoder();
    if (!d->encoder.empty())
        d->encoder.finish(0); // dropped: the file is read again from the start
    d->encoderLines.clear();
    d->pendingBet.reset();
    d->inFlight.clear();
    m_inFlightCount = 0;
    d->toSkip = 0;
    d->fileExhausted = false;
    d->doneSent = false;
    d->winners.clear();
    d->awaiting = Private::Awaiting::Nothing;
}

void AgencySession::reconnectAfter(const QString &reason)
{
    m_responseTimer.stop();
    m_pumpTimer.stop();
    m_attemptTimer.stop();
    d->established = false; // the abort below must not report the loss a second time
    m_socket->abort();
    resetUploadState();
    if (!d->reader.open(m_options.dataFile)) {
        m_reconnecting = false;
        fail(FailureKind::FileError, d->reader.errorString());
        return;
    }
    if (!m_reconnecting) {
        // One outage: the clock runs from the first loss until a WELCOME, across attempts.
        m_reconnecting = true;
        ++m_reconnections;
        m_connectClock.restart();
        m_nextRetryDelayMs = static_cast<int>(m_options.initialRetryDelay.count());
        emit reconnecting(reason, static_cast<int>(m_options.reconnectTimeout.count()));
    }
    setPhase(Phase::Connecting);
    if (m_phase != Phase::Connecting)
        return; // cancelled from a slot
    onConnectFailure(reason);
}

// ---------------------------------------------------------------------------------------------
// Connecting

void AgencySession::attemptConnect()
{
    if (m_phase != Phase::Connecting)
        return;
    ++m_connectAttempts;
    m_socket->abort();
    const qint64 remaining = connectLimitMs() - m_connectClock.elapsed();
    // One attempt may not outlive the overall deadline (a SYN to a dead host can hang for minutes).
    m_attemptTimer.start(static_cast<int>(std::clamp<qint64>(remaining, 1, INT_MAX)));
    m_tlsErrors.clear();
    if (auto *tls = qobject_cast<QSslSocket *>(m_socket))
        tls->connectToHostEncrypted(m_options.host, m_options.port);
    else
        m_socket->connectToHost(m_options.host, m_options.port);
}

void AgencySession::onConnectFailure(const QString &error)
{
    m_attemptTimer.stop();
    m_lastConnectError = error;
    const qint64 elapsed = m_connectClock.elapsed();
    const int delay = m_nextRetryDelayMs;
    if (elapsed + delay >= connectLimitMs()) {
        if (m_reconnecting) {
            m_reconnecting = false; // so that fail() ends the session
            fail(FailureKind::ConnectTimeout,
                QStringLiteral("gave up reconnecting to %1:%2 after %3 ms without a session "
                               "(%4 attempts): %5")
                    .arg(m_options.host)
                    .arg(m_options.port)
                    .arg(m_options.reconnectTimeout.count())
                    .arg(m_connectAttempts)
                    .arg(error));
            return;
        }
        fail(FailureKind::ConnectTimeout,
            QStringLiteral("could not connect to %1:%2 within %3 ms (%4 attempts): %5")
                .arg(m_options.host)
                .arg(m_options.port)
                .arg(m_options.connectTimeout.count())
                .arg(m_connectAttempts)
                .arg(error));
        return;
    }
    m_nextRetryDelayMs
        = static_cast<int>(std::min<qint64>(2LL * delay, m_options.maxRetryDelay.count()));
    m_retryTimer.start(delay);
    emit connectRetry(m_connectAttempts, error, delay);
}

void AgencySession::onConnected()
{
    m_attemptTimer.stop();
    d->established = true;
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    m_socket->setSocketOption(QAbstractSocket::SendBufferSizeSocketOption, kSendBufferBytes);
    emit connected();
    if (m_phase != Phase::Connecting)
        return;
    protocol::Hello hello;
    hello.version = protocol::kProtocolVersion;
    hello.agency = m_options.agency;
    hello.token = toStd(m_options.token);
    send(hello);
    d->awaiting = Private::Awaiting::Welcome;
    armResponseTimer();
}

void AgencySession::onSocketError(QAbstractSocket::SocketError error)
{
    if (!isRunning())
        return;
    if (!d->established
        && (error == QAbstractSocket::SslHandshakeFailedError || !m_tlsErrors.isEmpty())) {
        // The same server would fail the same check again: not retried.
        fail(FailureKind::TlsError,
            QStringLiteral("TLS with %1:%2 failed: %3")
                .arg(m_options.host)
                .arg(m_options.port)
                .arg(m_tlsErrors.isEmpty() ? m_socket->errorString() : m_tlsErrors));
        return;
    }
    if (!d->established) {
        onConnectFailure(m_socket->errorString());
        return;
    }
    // Frames that arrived before the close (an ERROR, typically) explain it better.
    onReadyRead();
    if (!isRunning() || !d->established)
        return; // ended, or already reconnecting because of them
    const QString what = error == QAbstractSocket::RemoteHostClosedError
        ? QStringLiteral("the server closed the connection")
        : m_socket->errorString();
    fail(FailureKind::ConnectionLost,
        QStringLiteral("connection to %1:%2 lost: %3")
            .arg(m_options.host)
            .arg(m_options.port)
            .arg(what));
}

void AgencySession::onDisconnected()
{
    if (!isRunning() || !d->established)
        return;
    onReadyRead();
    if (!isRunning() || !d->established)
        return;
    fail(FailureKind::ConnectionLost,
        QStringLiteral("connection to %1:%2 lost: the server closed the connection")
            .arg(m_options.host)
            .arg(m_options.port));
}

// ---------------------------------------------------------------------------------------------
// Frames

void AgencySession::send(const protocol::Message &message)
{
    d->frame.clear();
    protocol::appendFrame(d->frame, message);
    m_socket->write(d->frame.data(), static_cast<qint64>(d->frame.size()));
}

void AgencySession::protocolViolation(protocol::ErrorCode code, const QString &message)
{
    // Tell the server why we hang up (ERROR is fatal either way), then close after it is sent.
    send(protocol::ErrorMessage {code, toStd(message)});
    m_failureKind = FailureKind::ProtocolViolation;
    m_errorString = message;
    m_lastErrorCode.reset();
    closeEverything(true);
    setPhase(Phase::Failed);
    emit failed(message);
}

void AgencySession::onReadyRead()
{
    if (!m_socket || !isRunning())
        return;
    const QByteArray bytes = m_socket->readAll();
    if (bytes.isEmpty())
        return;
    d->decoder.feed(bytes.constData(), static_cast<std::size_t>(bytes.size()));
    while (isRunning()) {
        protocol::Message message;
        const protocol::DecodeStatus status = d->decoder.next(message);
        if (status == protocol::DecodeStatus::Incomplete)
            break;
        if (status == protocol::DecodeStatus::Malformed) {
            const protocol::DecodeError &error = d->decoder.error();
            protocolViolation(error.wireCode(),
                QStringLiteral("malformed frame from the server: ") + fromStd(error.toString()));
            return;
        }
        handleMessage(message);
    }
    if (isRunning())
        armResponseTimer();
}

void AgencySession::handleMessage(const protocol::Message &message)
{
    using Awaiting = Private::Awaiting;
    if (const auto *error = std::get_if<protocol::ErrorMessage>(&message)) {
        fail(FailureKind::ServerError,
            QStringLiteral("server error %1: %2")
                .arg(QLatin1String(protocol::toString(error->code)), fromStd(error->message)),
            error->code);
        return;
    }
    if (const auto *reject = std::get_if<protocol::Reject>(&message)) {
        handleReject(*reject);
        return;
    }
    if (d->awaiting == Awaiting::Welcome) {
        if (const auto *welcome = std::get_if<protocol::Welcome>(&message)) {
            handleWelcome(*welcome);
            return;
        }
    } else if (d->awaiting == Awaiting::Acks) {
        if (const auto *ack = std::get_if<protocol::Ack>(&message)) {
            handleAck(*ack);
            return;
        }
    } else if (d->awaiting == Awaiting::DoneAck) {
        if (std::holds_alternative<protocol::DoneAck>(message)) {
            handleDoneAck();
            return;
        }
    } else if (d->awaiting == Awaiting::Winners) {
        if (const auto *winners = std::get_if<protocol::Winners>(&message)) {
            handleWinners(*winners);
            return;
        }
    }
    protocolViolation(protocol::ErrorCode::UnexpectedMessage,
        QStringLiteral("unexpected %1 from the server while %2")
            .arg(QLatin1String(protocol::toString(protocol::typeOf(message))), awaitingText()));
}

QString AgencySession::awaitingText() const
{
    switch (d->awaiting) {
    case Private::Awaiting::Nothing: return QStringLiteral("expecting nothing");
    case Private::Awaiting::Welcome: return QStringLiteral("waiting for WELCOME");
    case Private::Awaiting::Acks:
        return d->inFlight.empty()
            ? QStringLiteral("no batch is unacknowledged")
            : QStringLiteral("waiting for ACK of batch %1").arg(d->inFlight.front().sequence);
    case Private::Awaiting::DoneAck: return QStringLiteral("waiting for DONE_ACK");
    case Private::Awaiting::Winners: return QStringLiteral("waiting for WINNERS");
    }
    return {};
}

void AgencySession::handleWelcome(const protocol::Welcome &welcome)
{
    if (welcome.version != protocol::kProtocolVersion) {
        protocolViolation(protocol::ErrorCode::UnsupportedVersion,
            QStringLiteral("server speaks protocol version %1, this agency %2")
                .arg(welcome.version)
                .arg(protocol::kProtocolVersion));
        return;
    }
    m_reconnecting = false;
    const bool firstWelcome = !d->welcomedBefore;
    d->welcomedBefore = true;
    if (firstWelcome) {
        d->firstStoredBets = welcome.storedBets;
    } else {
        // Resumed: what we saw acknowledged must still be there. Bets stored whose ACK was lost
        // with the connection are confirmed by this WELCOME.
        const quint64 known = d->firstStoredBets + static_cast<quint64>(m_betsAcknowledged);
        if (welcome.storedBets < known) {
            protocolViolation(protocol::ErrorCode::UnexpectedMessage,
                QStringLiteral("the server now stores %1 bets of agency %2 but had acknowledged "
                               "%3: acknowledged bets were lost")
                    .arg(welcome.storedBets)
                    .arg(m_options.agency)
                    .arg(known));
            return;
        }
        m_betsAcknowledged += static_cast<qint64>(welcome.storedBets - known);
    }
    // Rows skipped after a reconnection were sent (and counted) by this session before.
    d->countSkips = firstWelcome;
    m_serverLastSequence = welcome.lastSequence;
    m_serverStoredBets = welcome.storedBets;
    d->nextSequence = welcome.lastSequence + 1;
    d->toSkip = welcome.storedBets;
    d->awaiting = Private::Awaiting::Acks;
    emit welcomed(welcome.lastSequence, welcome.storedBets);
    if (m_phase != Phase::Connecting)
        return;
    setPhase(Phase::Sending);
    if (m_phase != Phase::Sending)
        return;
    pump();
}

void AgencySession::handleAck(const protocol::Ack &ack)
{
    if (d->inFlight.empty() || ack.sequence != d->inFlight.front().sequence
        || ack.count != d->inFlight.front().lines.size()) {
        const QString expected = d->inFlight.empty()
            ? QStringLiteral("none is unacknowledged")
            : QStringLiteral("expected batch %1 of %2 bets")
                  .arg(d->inFlight.front().sequence)
                  .arg(d->inFlight.front().lines.size());
        protocolViolation(protocol::ErrorCode::UnexpectedMessage,
            QStringLiteral("ACK of batch %1 (%2 bets) out of order: %3")
                .arg(ack.sequence)
                .arg(ack.count)
                .arg(expected));
        return;
    }
    d->inFlight.pop_front();
    --m_inFlightCount;
    ++m_batchesAcknowledged;
    m_betsAcknowledged += ack.count;
    if (ack.duplicate)
        ++m_duplicateBatches;
    emit batchAcknowledged(ack.sequence, ack.count, m_betsAcknowledged, ack.duplicate);
    if (m_phase == Phase::Sending)
        pump();
}

void AgencySession::handleReject(const protocol::Reject &reject)
{
    QString where;
    for (const Private::InFlight &batch : d->inFlight) {
        if (batch.sequence == reject.sequence && reject.betIndex < batch.lines.size()) {
            where = QStringLiteral(", bet %1 (line %2)")
                        .arg(reject.betIndex + 1)
                        .arg(batch.lines[reject.betIndex]);
        }
    }
    m_rejectedSequence = reject.sequence;
    fail(FailureKind::BatchRejected,
        QStringLiteral("batch %1 rejected by the server: %2%3: %4")
            .arg(reject.sequence)
            .arg(QLatin1String(protocol::toString(reject.code)), where, fromStd(reject.reason)),
        reject.code);
}

void AgencySession::handleDoneAck()
{
    emit uploadCompleted();
    if (m_phase != Phase::Sending)
        return;
    send(protocol::GetWinners {});
    d->awaiting = Private::Awaiting::Winners;
    setPhase(Phase::WaitingForDraw);
}

void AgencySession::handleWinners(const protocol::Winners &winners)
{
    for (const std::string &document : winners.documents)
        d->winners.append(fromStd(document));
    if (!winners.final)
        return;
    m_winners = d->winners;
    closeEverything(true);
    emit winnersReceived(m_winners);
    if (m_phase != Phase::WaitingForDraw)
        return;
    setPhase(Phase::Done);
    emit finished();
}

// ---------------------------------------------------------------------------------------------
// Sending

void AgencySession::armResponseTimer()
{
    using Awaiting = Private::Awaiting;
    switch (d->awaiting) {
    case Awaiting::Welcome:
    case Awaiting::DoneAck:
        m_responseTimer.start(static_cast<int>(m_options.responseTimeout.count()));
        return;
    case Awaiting::Acks:
        if (m_inFlightCount > 0)
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
    const bool draw = d->awaiting == Private::Awaiting::Winners;
    fail(FailureKind::ResponseTimeout,
        QStringLiteral("no answer from the server within %1 ms while %2")
            .arg(draw ? m_options.drawTimeout.count() : m_options.responseTimeout.count())
            .arg(awaitingText()));
}

bool AgencySession::canSendBatch() const
{
    return m_inFlightCount < m_options.window;
}

void AgencySession::sendBatch()
{
    const quint64 sequence = d->nextSequence++;
    const int count = static_cast<int>(d->encoder.size());
    const std::string frame = d->encoder.finish(sequence);
    m_socket->write(frame.data(), static_cast<qint64>(frame.size()));
    d->inFlight.push_back(Private::InFlight {sequence, std::move(d->encoderLines)});
    d->encoderLines = std::vector<qint64>();
    // The next batch's lines in one allocation, not a regrowth every few bets.
    d->encoderLines.reserve(
        std::min<std::size_t>(static_cast<std::size_t>(m_options.batchMaxBets), 1024));
    ++m_inFlightCount;
    ++m_batchesSent;
    m_betsSent += count;
    armResponseTimer();
    emit batchSent(sequence, count);
}

void AgencySession::pump()
{
    int budget = kRowsPerStep;
    BetRowView row;
    while (m_phase == Phase::Sending && !d->doneSent) {
        if (d->pendingBet) {
            if (d->encoder.add(*d->pendingBet)) {
                d->encoderLines.push_back(d->pendingLine);
                d->pendingBet.reset();
            } else {
                if (!canSendBatch())
                    return; // the next ACK pumps again
                sendBatch();
                continue;
            }
        }
        if (d->encoder.full()) {
            if (!canSendBatch())
                return;
            sendBatch();
            continue;
        }
        if (d->fileExhausted) {
            if (!d->encoder.empty()) {
                if (!canSendBatch())
                    return;
                sendBatch();
                continue;
            }
            if (m_inFlightCount == 0)
                sendDone();
            return;
        }
        if (budget-- == 0) {
            m_pumpTimer.start(); // let socket events (and cancel) in before reading on
            return;
        }
        if (!d->reader.readNextView(row)) {
            if (d->reader.hasError()) {
                fail(FailureKind::FileError, d->reader.errorString());
                return;
            }
            d->fileExhausted = true;
            continue;
        }
        if (!row.isValid()) {
            if (row.line > d->lastReportedInvalidLine) {
                d->lastReportedInvalidLine = row.line;
                ++m_invalidRows;
                emit invalidRow(row.line, row.error);
            }
            continue;
        }
        if (d->toSkip > 0) {
            --d->toSkip; // already stored by the server in an earlier session
            if (d->countSkips)
                ++m_rowsSkipped;
            continue;
        }
        d->pendingBet = row.bet;
        d->pendingLine = row.line;
    }
}

void AgencySession::sendDone()
{
    if (d->toSkip > 0) {
        fail(FailureKind::FileError,
            QStringLiteral("the server already stores %1 bets of agency %2 but %3 has only %4 "
                           "valid rows: is it the right file?")
                .arg(m_serverStoredBets)
                .arg(m_options.agency)
                .arg(m_options.dataFile)
                .arg(m_rowsSkipped));
        return;
    }
    d->doneSent = true;
    d->reader.close();
    send(protocol::Done {});
    d->awaiting = Private::Awaiting::DoneAck;
    armResponseTimer();
}

} // namespace lottery::agency
