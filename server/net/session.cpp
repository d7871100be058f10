#include "server/net/session.h"

#include "common/log.h"
#include "common/log_rate_limiter.h"
#include "server/net/epoll_event_dispatcher.h"

#include <QDeadlineTimer>
#include <QSslSocket>
#include <QTcpSocket>

#include <limits>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

namespace lottery::server {

namespace {

// After ERROR the peer gets this long to take the bytes before the connection is dropped.
constexpr int kCloseGraceMs = 2000;

qint64 nowMs()
{
    return QDeadlineTimer::current().deadline();
}

bool isRoutineClose(protocol::ErrorCode code)
{
    return code == protocol::ErrorCode::ShuttingDown || code == protocol::ErrorCode::Superseded;
}

// A peer chooses how often its session fails (malformed frames, timeouts, unread answers, one
// connection after another): those `sesion | result: fail` lines are rate-limited. Routine
// closes (shutdown, superseded) are the server's own doing and always written.
LogRateLimiter &sessionFailureLines()
{
    static LogRateLimiter limiter(QStringLiteral("sesion"), LogLevel::Error, 200, 50);
    return limiter;
}

} // namespace

void SessionHandler::storedBetsRequested(Session &session, const protocol::ListStored &request)
{
    Q_UNUSED(request);
    session.fail(protocol::ErrorCode::UnexpectedMessage,
        QStringLiteral("this server does not list stored bets"));
}

namespace {

ServerEvents &nobodyListens()
{
    static NoServerEvents nobody;
    return nobody;
}

} // namespace

Session::Session(quint64 id, QTcpSocket *socket, const SessionLimits &limits,
    SessionHandler &handler, SessionServices services, QObject *parent)
    : QObject(parent), m_id(id), m_socket(socket), m_limits(limits), m_handler(handler),
      m_events(services.events ? services.events : &nobodyListens())
{
    m_socket->setParent(this);
    m_peer = m_socket->peerAddress().toString();
    // A TLS socket encrypts what it is given: only Qt may write to it.
    m_writesStraightToKernel = qobject_cast<QSslSocket *>(m_socket) == nullptr;
    // Small until the session holds an upload slot (haveUploadSlot()); without an admission,
    // as if it always held the largest.
    m_admission = services.admission;
    m_socket->setReadBufferSize(
        m_admission ? m_limits.controlReadBufferSize : maxUploadReservation());
    // Acknowledgements are small and the agency's window waits for them: no Nagle delay.
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    m_dispatcher = EpollEventDispatcher::ofCurrentThread();
    m_deadlineTimer.setSingleShot(true);
    connect(&m_deadlineTimer, &QTimer::timeout, this, &Session::onDeadlineTimer);
    // Started here, not in start(): a TLS handshake that never ends must not hold the slot.
    m_helloDeadline = nowMs() + m_limits.helloTimeoutMs;
    armDeadlineTimer();
    connect(m_socket, &QTcpSocket::readyRead, this, &Session::onReadyRead);
    // Queued: the handler may be iterating its sessions when a close completes synchronously.
    connect(
        m_socket, &QTcpSocket::disconnected, this, &Session::onDisconnected, Qt::QueuedConnection);
}

Session::~Session()
{
    leaveUploadAdmission(); // the admission keeps no pointer to a session that is gone
}

void Session::start()
{
    LOTTERY_LOG_SUCCESS("conexion").field(u"ip", m_peer).field(u"session", m_id);
    updateTimers();
    onReadyRead();
}

void Session::send(const protocol::Message &message)
{
    if (!m_socket || m_socket->state() != QAbstractSocket::ConnectedState)
        return;
    if (m_answersHeld > 0) {
        protocol::appendFrame(m_heldAnswers, message);
        return;
    }
    writeOut(protocol::encodeFrame(message));
}

void Session::holdAnswers()
{
    ++m_answersHeld;
}

void Session::releaseAnswers()
{
    if (m_answersHeld > 0 && --m_answersHeld == 0)
        flushHeldAnswers();
}

void Session::flushHeldAnswers()
{
    m_answersHeld = 0;
    if (m_heldAnswers.empty())
        return;
    std::string bytes;
    bytes.swap(m_heldAnswers);
    if (m_socket && m_socket->state() == QAbstractSocket::ConnectedState)
        writeOut(bytes);
}

void Session::writeOut(const std::string &bytes)
{
    const char *data = bytes.data();
    auto size = static_cast<qint64>(bytes.size());
    if (m_writesStraightToKernel && m_socket->bytesToWrite() == 0) {
        // Straight into the kernel while Qt's write buffer is empty, so the order is kept. A
        // QTcpSocket that has buffered a write once keeps a 32 KiB chunk for its lifetime, about
        // 6 KiB of it resident: with ten thousand agencies connected, that was most of the
        // server's memory above the sessions themselves (docs/PERFORMANCE.md). It also saves
        // arming the write notifier and a loop iteration per answer. Whatever the kernel does
        // not take now, and any error (Qt then meets it again and reports it), goes through
        // Qt as before.
        const ssize_t sent = ::send(static_cast<int>(m_socket->socketDescriptor()), data,
            static_cast<std::size_t>(size), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent == size)
            return;
        if (sent > 0) {
            data += sent;
            size -= sent;
        }
    }
    m_socket->write(data, size);
}

void Session::fail(protocol::ErrorCode code, const QString &message)
{
    if (m_closing)
        return;
    if (isRoutineClose(code) || sessionFailureLines().allow()) {
        LogLine line(isRoutineClose(code) ? LogLevel::Info : LogLevel::Error, u"sesion",
            isRoutineClose(code) ? LogResult::Success : LogResult::Fail);
        line.field(u"ip", m_peer).field(u"session", m_id);
        if (hasAgency())
            line.field(u"agency", m_agency);
        else if (m_claimedAgency != 0)
            line.field(u"agencia_declarada", m_claimedAgency);
        line.field(u"code", protocol::toString(code)).field(u"error", message);
    }
    flushHeldAnswers(); // what was answered before the error still goes first
    send(protocol::ErrorMessage {code, message.toStdString()});
    m_events->errorSent(m_agency, code, m_peer, m_claimedAgency);
    closeGracefully();
}

void Session::closeGracefully()
{
    m_closing = true;
    updateTimers();
    // What is queued still leaves; a peer that reads nothing is cut at the grace's end.
    m_closeDeadline = nowMs() + kCloseGraceMs;
    armDeadlineTimer();
    if (m_socket)
        m_socket->disconnectFromHost();
}

void Session::holdForTask()
{
    m_taskInFlight = true;
    updateTimers();
}

void Session::taskFinished()
{
    m_taskInFlight = false;
    if (std::exchange(m_taskCarriesDone, false))
        yieldUploadSlot(); // the agency said DONE: no more batches
    if (std::exchange(m_taskIsUpload, false) && holdsAdmittedSlot() && m_admission->contended())
        yieldUploadSlot(); // back in the queue if more batches follow: the others go first
    if (m_closing || m_stopped)
        return;
    if (holdsAdmittedSlot() && m_socket)
        m_socket->setReadBufferSize(uploadReservation()); // the task's share is free again
    growUploadSlot();
    readAvailable();
    processFrames();
}

bool Session::haveUploadSlot()
{
    if (hasUploadSlot())
        return true;
    if (isWaitingForUploadSlot())
        return false;
    const qint64 wanted = uploadBytesWanted();
    if (!m_admission->request(*this, wanted)) {
        // DEBUG only: with thousands of agencies at once many of them wait here once.
        LogLine(LogLevel::Debug, u"upload_slot", LogResult::InProgress)
            .field(u"agency", m_agency)
            .field(u"ip", m_peer)
            .field(u"waiting", m_admission->waiting())
            .field(u"slots", m_admission->capacity())
            .field(u"bytes", wanted)
            .field(u"reserved", m_admission->bytesReserved());
        holdSocketReads();
        return false;
    }
    if (m_socket)
        m_socket->setReadBufferSize(wanted);
    return true;
}

qint64 Session::uploadBytesWanted() const
{
    qint64 waiting = 0;
    if (m_socket) {
        waiting = m_socket->bytesAvailable();
        // What the kernel holds for this socket beyond Qt's buffer: one ioctl per slot request.
        int inKernel = 0;
        const qintptr fd = m_socket->socketDescriptor();
        if (fd >= 0 && ::ioctl(static_cast<int>(fd), FIONREAD, &inKernel) == 0)
            waiting += inKernel;
    }
    // At least a whole frame, so that a session holding a slot can always complete the frame it
    // has started (its header told it the type).
    return qBound<qint64>(
        static_cast<qint64>(protocol::kMaxFrameSize), waiting, maxUploadReservation());
}

qint64 Session::maxUploadReservation() const
{
    // One task's frames in a worker and as many read ahead meanwhile.
    return 2 * qMax<qint64>(m_limits.readBufferSize, protocol::kMaxFrameSize);
}

void Session::growUploadSlot()
{
    if (!holdsAdmittedSlot())
        return;
    const qint64 held = uploadReservation();
    if (held >= maxUploadReservation())
        return;
    const qint64 wanted = uploadBytesWanted();
    if (wanted <= held || !m_admission->resize(*this, wanted))
        return;
    if (m_socket)
        m_socket->setReadBufferSize(wanted);
}

QString Session::doneAfterRejectReason()
{
    return QStringLiteral("DONE after a rejected BATCH on this connection: not recorded; "
                          "reconnect, resume from WELCOME, then send DONE");
}

void Session::refuseDone()
{
    fail(protocol::ErrorCode::UnexpectedMessage, doneAfterRejectReason());
}

void Session::holdSocketReads()
{
    if (!m_dispatcher || !m_socket || m_socketReadsHeld)
        return;
    m_dispatcher->holdReads(m_socket, true);
    m_socketReadsHeld = true;
    // Qt read at most the control buffer while this session had no slot: taking it all (the
    // chunk itself, then copied) lets Qt free the chunk, of 16 KiB whatever it holds. With
    // thousands of agencies queued for a slot, those chunks were most of the server's memory.
    // The splitter then holds at most two control buffers' worth.
    const qint64 buffered = m_socket->bytesAvailable();
    if (buffered > 0 && buffered <= m_limits.controlReadBufferSize) {
        const QByteArray chunk = m_socket->read(buffered);
        m_splitter.feed(chunk.constData(), static_cast<std::size_t>(chunk.size()));
    }
}

bool Session::connectionWasReset() const
{
    // TCP_INFO, not SO_ERROR: reading the pending error would clear it before Qt sees it.
    tcp_info info {};
    socklen_t length = sizeof info;
    const auto fd = static_cast<int>(m_socket->socketDescriptor());
    return fd >= 0 && ::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) == 0
        && info.tcpi_state == TCP_CLOSE;
}

void Session::releaseSocketReads()
{
    if (!std::exchange(m_socketReadsHeld, false))
        return;
    if (m_dispatcher && m_socket)
        m_dispatcher->holdReads(m_socket, false);
}

void Session::admitted(qint64 bytes)
{
    releaseSocketReads();
    if (m_socket)
        m_socket->setReadBufferSize(bytes);
    if (m_closing || m_stopped || !m_socket) {
        yieldUploadSlot();
        return;
    }
    if (m_taskInFlight)
        return;
    readAvailable();
    processFrames();
}

void Session::yieldUploadSlot()
{
    if (!holdsAdmittedSlot())
        return;
    // What is buffered already stays; no more is read until the next slot.
    if (m_socket)
        m_socket->setReadBufferSize(m_limits.controlReadBufferSize);
    m_admission->release(*this);
}

void Session::leaveUploadAdmission()
{
    if (m_admission)
        m_admission->release(*this); // the slot it holds, or its place in the queue
}

void Session::setWaitingForDraw(bool waiting)
{
    m_waitingForDraw = waiting;
    updateTimers();
}

void Session::stopReading()
{
    m_stopped = true;
    updateTimers();
}

void Session::abort()
{
    m_closing = true;
    updateTimers();
    if (m_socket)
        m_socket->abort();
}

qint64 Session::queuedOutputBytes() const
{
    return (m_socket ? m_socket->bytesToWrite() : 0) + static_cast<qint64>(m_heldAnswers.size());
}

bool Session::peerHasClosed() const
{
    if (!m_socket || m_socket->state() != QAbstractSocket::ConnectedState)
        return true;
    tcp_info info {};
    socklen_t length = sizeof info;
    const auto fd = static_cast<int>(m_socket->socketDescriptor());
    return fd >= 0 && ::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) == 0
        && (info.tcpi_state == TCP_CLOSE_WAIT || info.tcpi_state == TCP_CLOSE);
}

void Session::dropUnreadingPeer()
{
    if (sessionFailureLines().allow()) {
        LogLine line(LogLevel::Error, u"sesion", LogResult::Fail);
        line.field(u"ip", m_peer).field(u"session", m_id);
        if (hasAgency())
            line.field(u"agency", m_agency);
        line.field(u"limit", toString(PeerLimit::OutputQueue))
            .field(u"error",
                QStringLiteral("the peer does not read its answers: %1 bytes queued, limit %2; "
                               "connection dropped")
                    .arg(queuedOutputBytes())
                    .arg(m_limits.maxQueuedOutputBytes));
    }
    m_events->limitReached(PeerLimit::OutputQueue);
    m_heldAnswers.clear();
    abort();
}

bool Session::holdsIdleUploadSlot() const
{
    return holdsAdmittedSlot() && !m_taskInFlight && !m_closing && m_splitter.pendingBytes() == 0
        && !m_heldFrame && (!m_socket || m_socket->bytesAvailable() == 0);
}

void Session::onReadyRead()
{
    if (m_socketReadsHeld) {
        // Held reads are woken only by an error or a hang-up. An agency that reset its
        // connection while it waited for a slot leaves the queue now, not when its turn comes:
        // its unacknowledged batches are its to send again.
        if (m_socket && connectionWasReset())
            m_socket->abort();
        return;
    }
    if (m_taskInFlight || m_closing || m_stopped || isWaitingForUploadSlot())
        return;
    readAvailable();
    processFrames();
}

void Session::readAvailable()
{
    if (!m_socket)
        return;
    // Straight into the splitter: no transient copy of up to a whole read buffer per read.
    qint64 available = m_socket->bytesAvailable();
    const int nextType = m_splitter.nextFrameType();
    if (!hasUploadSlot() && hasAgency()
        && (nextType < 0 || nextType == static_cast<int>(protocol::MessageType::Batch))) {
        // Without a slot, a BATCH's bytes stay in the socket (and, once its small buffer is
        // full, in the kernel); before a frame's type is known, at most the control buffer.
        const auto pending = static_cast<qint64>(m_splitter.pendingBytes());
        available = nextType < 0
            ? qMin(available, qMax<qint64>(0, m_limits.controlReadBufferSize - pending))
            : 0;
    }
    if (available <= 0)
        return;
    if (available == m_socket->bytesAvailable()) {
        // All of it, as Qt's own buffer chunk: taking the chunk (QIODevice hands a whole chunk
        // over without copying) leaves the socket no buffer to keep. Reading into our memory
        // instead would leave each idle socket holding a chunk of up to 16 KiB.
        const QByteArray chunk = m_socket->read(available);
        m_splitter.feed(chunk.constData(), static_cast<std::size_t>(chunk.size()));
        return;
    }
    char *into = m_splitter.prepareFeed(static_cast<std::size_t>(available));
    const qint64 read = m_socket->read(into, available);
    m_splitter.commitFeed(read > 0 ? static_cast<std::size_t>(read) : 0);
}

protocol::DecodeStatus Session::nextFrame(protocol::RawFrame &frame)
{
    if (!m_heldFrame)
        return m_splitter.next(frame);
    frame.type = m_heldFrame->first;
    frame.body = m_heldFrame->second;
    return protocol::DecodeStatus::Ok;
}

void Session::processFrames()
{
    const auto batchType = static_cast<std::uint8_t>(protocol::MessageType::Batch);
    while (!m_taskInFlight && !m_closing && !m_stopped) {
        // Before each request: a peer that leaves its answers unread gets no more of them.
        if (queuedOutputBytes() > m_limits.maxQueuedOutputBytes) {
            dropUnreadingPeer();
            return;
        }
        // A BATCH (whole or started) needs an upload slot before its bytes are taken.
        if (!m_heldFrame && m_splitter.nextFrameType() == batchType && hasAgency()
            && !haveUploadSlot())
            break;
        protocol::RawFrame frame;
        const protocol::DecodeStatus status = nextFrame(frame);
        if (status == protocol::DecodeStatus::Incomplete) {
            // Reading was capped before the frame's type was known, or before the slot: the
            // rest may be in the socket's buffer already.
            const std::size_t before = m_splitter.pendingBytes();
            readAvailable();
            if (m_splitter.pendingBytes() > before)
                continue;
            break;
        }
        if (status == protocol::DecodeStatus::Malformed) {
            failDecode(m_splitter.error());
            return;
        }
        // A whole frame: the idle and frame clocks start again from here.
        m_idleDeadline = 0;
        m_frameDeadline = 0;
        if (frame.type == batchType && hasAgency()) {
            // Decoding and validating the bets is a worker's job. Every whole BATCH already
            // here goes along, so one fdatasync covers them all (they stay in order). The task
            // takes the read buffer itself: the frames are not copied, and no session keeps a
            // buffer of a whole task's size while it waits.
            ReceivedBatches batches;
            batches.bodies.emplace_back(m_splitter.bodyOffset(frame), frame.body.size());
            while (batches.bodies.size() < static_cast<std::size_t>(m_limits.maxBatchesPerTask)) {
                protocol::RawFrame more;
                if (m_splitter.next(more) != protocol::DecodeStatus::Ok)
                    break; // incomplete, or malformed: then the splitter says so again next time
                if (more.type != batchType) {
                    m_heldFrame.emplace(more.type, std::string(more.body));
                    break;
                }
                batches.bodies.emplace_back(m_splitter.bodyOffset(more), more.body.size());
            }
            // A DONE right behind the batches (the agency did not wait for their ACKs) rides
            // along: the store records it after them, in the same job, if they are all
            // acknowledged; one write answers both. Not after a REJECT on this connection.
            if (m_heldFrame
                && m_heldFrame->first == static_cast<std::uint8_t>(protocol::MessageType::Done)
                && m_heldFrame->second.empty() && !m_batchRejected) {
                m_heldFrame.reset();
                batches.doneFollows = true;
                m_taskCarriesDone = true;
            }
            batches.bytes = m_splitter.takeReturnedFrames();
            // The slot's reservation covers the task's bytes and what the socket reads ahead
            // meanwhile, together.
            if (holdsAdmittedSlot() && m_socket) {
                m_socket->setReadBufferSize(qMax<qint64>(m_limits.controlReadBufferSize,
                    uploadReservation() - static_cast<qint64>(batches.bytes.size())));
            }
            m_taskInFlight = true;
            m_taskIsUpload = true;
            m_handler.batchesReceived(*this, std::move(batches));
            continue;
        }
        // Decoded before the held frame (if that is the one) is dropped.
        protocol::FrameDecodeResult decoded = protocol::decodeFrame(frame);
        m_heldFrame.reset();
        if (decoded.error) {
            failDecode(*decoded.error);
            return;
        }
        dispatch(std::move(*decoded.message));
    }
    updateTimers();
}

void Session::dispatch(protocol::Message message)
{
    using protocol::ErrorCode;
    using protocol::MessageType;
    const MessageType type = protocol::typeOf(message);
    const QString typeName = QString::fromLatin1(protocol::toString(type));
    if (type == MessageType::Error) {
        const auto &error = std::get<protocol::ErrorMessage>(message);
        LOTTERY_LOG_FAIL("sesion")
            .field(u"ip", m_peer)
            .field(u"agency", m_agency)
            .field(u"error",
                QStringLiteral("peer sent ERROR %1: %2")
                    .arg(QString::fromLatin1(protocol::toString(error.code)),
                        QString::fromStdString(error.message)));
        closeGracefully();
        return;
    }
    if (type == MessageType::Hello) {
        if (hasAgency()) {
            fail(ErrorCode::UnexpectedMessage, QStringLiteral("HELLO received twice"));
            return;
        }
        m_helloDeadline = 0;
        m_handler.helloReceived(*this, std::get<protocol::Hello>(message));
        return;
    }
    if (!hasAgency()) {
        fail(ErrorCode::UnexpectedMessage, QStringLiteral("%1 before HELLO").arg(typeName));
        return;
    }
    switch (type) {
    case MessageType::Done:
        if (m_batchRejected) {
            refuseDone();
            return;
        }
        yieldUploadSlot(); // no more batches from this agency
        m_taskInFlight = true;
        m_handler.doneReceived(*this);
        return;
    case MessageType::GetWinners:
        // One per connection (an agency sends it once, behind DONE): a repeat, parked or
        // answered, would only make the server queue the same answer again.
        if (std::exchange(m_winnersRequested, true)) {
            m_events->limitReached(PeerLimit::WinnersRepeated);
            fail(ErrorCode::UnexpectedMessage,
                QStringLiteral("GET_WINNERS sent twice on one connection: it is answered once"));
            return;
        }
        m_handler.winnersRequested(*this);
        return;
    case MessageType::ListStored: {
        const auto &request = std::get<protocol::ListStored>(message);
        if (m_protocolVersion < protocol::kProtocolVersion2) {
            fail(ErrorCode::UnexpectedMessage,
                QStringLiteral("LIST_STORED needs protocol version 2 (this session speaks %1)")
                    .arg(m_protocolVersion));
            return;
        }
        if (request.from >= m_listableBets || request.count > m_listableBets - request.from) {
            // The range's end as a peer means it: it may lie past 2^64 (from near the top).
            const quint64 room = std::numeric_limits<quint64>::max() - request.from;
            const quint64 span = static_cast<quint64>(request.count) - 1; // count is 1..1024
            const QString last = span <= room ? QString::number(request.from + span)
                                              : QStringLiteral("2^64+%1").arg(span - 1 - room);
            fail(ErrorCode::UnexpectedMessage,
                QStringLiteral("LIST_STORED asks for stored bets %1..%2 but WELCOME said %3 are "
                               "stored")
                    .arg(request.from)
                    .arg(last)
                    .arg(m_listableBets));
            return;
        }
        // Each stored bet once per connection: what an agency needs to match its file, and a
        // bound on what one connection makes the server read back.
        if (request.count > m_listableBets - m_listedBets) {
            m_events->limitReached(PeerLimit::ListStoredBudget);
            fail(ErrorCode::UnexpectedMessage,
                QStringLiteral("LIST_STORED: this connection already listed %1 of the %2 stored "
                               "bets and asks for %3 more: each is listed once per connection")
                    .arg(m_listedBets)
                    .arg(m_listableBets)
                    .arg(request.count));
            return;
        }
        m_listedBets += request.count;
        m_taskInFlight = true;
        m_handler.storedBetsRequested(*this, request);
        return;
    }
    default:
        fail(ErrorCode::UnexpectedMessage,
            QStringLiteral("%1 is sent by the server, not by an agency").arg(typeName));
        return;
    }
}

void Session::failDecode(const protocol::DecodeError &error)
{
    fail(error.wireCode(), QString::fromStdString(error.toString()));
}

void Session::updateTimers()
{
    if (m_closing)
        m_helloDeadline = 0; // a closing session owes nothing more, HELLO included
    // An upload slot is a share of everyone's budget: kept only while used. Parked on
    // GET_WINNERS, a holder gives it back at once (its idle deadline is off meanwhile).
    if (!holdsIdleUploadSlot() || m_stopped) {
        m_slotIdleDeadline = 0;
    } else if (m_waitingForDraw) {
        m_slotIdleDeadline = nowMs();
        armDeadlineTimer();
    } else if (m_slotIdleDeadline == 0) {
        m_slotIdleDeadline = nowMs() + m_limits.uploadSlotIdleMs;
        armDeadlineTimer();
    }
    if (m_closing || m_stopped || m_taskInFlight || isWaitingForUploadSlot()) {
        // The peer is not the one keeping us waiting now.
        m_idleDeadline = 0;
        m_frameDeadline = 0;
        return;
    }
    const qint64 now = nowMs();
    // One deadline per frame, from its first byte: a slow drip does not extend it.
    if (m_splitter.pendingBytes() > 0) {
        if (m_frameDeadline == 0)
            m_frameDeadline = now + m_limits.frameTimeoutMs;
    } else {
        m_frameDeadline = 0;
    }
    if (m_waitingForDraw)
        m_idleDeadline = 0;
    else if (m_idleDeadline == 0)
        m_idleDeadline = now + m_limits.idleTimeoutMs;
    armDeadlineTimer();
}

void Session::armDeadlineTimer()
{
    qint64 earliest = 0;
    for (const qint64 deadline :
        {m_idleDeadline, m_frameDeadline, m_helloDeadline, m_closeDeadline, m_slotIdleDeadline}) {
        if (deadline != 0 && (earliest == 0 || deadline < earliest))
            earliest = deadline;
    }
    // Armed for the earliest or sooner: nothing to do (firing early only re-arms). Deadlines
    // that went away leave the timer running; it fires once, finds nothing due and stops.
    if (earliest == 0 || (m_timerArmedFor != 0 && m_timerArmedFor <= earliest))
        return;
    m_timerArmedFor = earliest;
    m_deadlineTimer.start(static_cast<int>(qMax<qint64>(0, earliest - nowMs())));
}

void Session::onDeadlineTimer()
{
    m_timerArmedFor = 0;
    const qint64 now = nowMs();
    auto due = [now](qint64 deadline) { return deadline != 0 && deadline <= now; };
    if (due(m_closeDeadline)) {
        m_closeDeadline = 0;
        abort();
        return;
    }
    if (due(m_slotIdleDeadline)) {
        m_slotIdleDeadline = 0;
        if (holdsIdleUploadSlot()) {
            m_events->limitReached(
                m_waitingForDraw ? PeerLimit::UploadSlotParked : PeerLimit::UploadSlotIdle);
            yieldUploadSlot();
        }
    }
    if (due(m_helloDeadline)) {
        fail(protocol::ErrorCode::Timeout,
            QStringLiteral("no HELLO within %1 ms of connecting").arg(m_limits.helloTimeoutMs));
        return;
    }
    if (due(m_frameDeadline)) {
        fail(protocol::ErrorCode::Timeout,
            QStringLiteral("frame not completed within %1 ms").arg(m_limits.frameTimeoutMs));
        return;
    }
    if (due(m_idleDeadline)) {
        fail(protocol::ErrorCode::Timeout,
            QStringLiteral("no complete frame for %1 ms").arg(m_limits.idleTimeoutMs));
        return;
    }
    armDeadlineTimer();
}

void Session::onDisconnected()
{
    if (m_closedReported)
        return;
    m_closedReported = true;
    const std::size_t pending = m_splitter.pendingBytes();
    if (!m_closing && pending > 0) {
        LOTTERY_LOG_FAIL("desconexion")
            .field(u"ip", m_peer)
            .field(u"agency", m_agency)
            .field(u"error",
                QStringLiteral("peer closed in the middle of a frame (%1 bytes)").arg(pending));
    } else {
        LOTTERY_LOG_SUCCESS("desconexion").field(u"ip", m_peer).field(u"agency", m_agency);
    }
    m_closing = true;
    updateTimers();
    m_closeDeadline = 0;
    m_deadlineTimer.stop();
    m_timerArmedFor = 0;
    leaveUploadAdmission();
    m_handler.sessionClosed(*this);
}

} // namespace lottery::server
