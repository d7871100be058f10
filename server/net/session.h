// One agency connection, in the main thread: cuts the socket's bytes into frames, enforces the
// order of messages and the timeouts, and hands each request to the SessionHandler (the server).
// While a request is in a worker the session reads nothing more, so the socket's bounded read
// buffer fills and TCP pushes back on the agency.
#pragma once

#include "server/net/peer_limits.h"
#include "server/net/received_batches.h"
#include "server/net/upload_admission.h"
#include "server/server_events.h"

#include "lottery/protocol/codec.h"

#include <QObject>
#include <QPointer>
#include <QTimer>

#include <optional>
#include <string>
#include <vector>

class QTcpSocket;

namespace lottery::server {

class EpollEventDispatcher;
class Session;

// The requests a session hands over, and its end. What it reports (its errors, the limits its
// peer ran into) goes to ServerEvents, and its upload slot comes from UploadAdmission: both in
// SessionServices, not through this seam.
class SessionHandler
{
public:
    virtual ~SessionHandler() = default;
    virtual void helloReceived(Session &session, const protocol::Hello &hello) = 0;
    // One or more consecutive BATCH bodies (in order), handed over together so that one
    // fdatasync can cover them all. The session has marked a task in flight; the handler must
    // call taskFinished() later.
    virtual void batchesReceived(Session &session, ReceivedBatches batches) = 0;
    virtual void doneReceived(Session &session) = 0;
    virtual void winnersRequested(Session &session) = 0;
    // Version 2: LIST_STORED, within the connection's budget (the session checked it). The
    // session has marked a task in flight: the handler answers (STORED_LIST frames, or ERROR)
    // and calls taskFinished(). This default refuses it.
    virtual void storedBetsRequested(Session &session, const protocol::ListStored &request);
    // The socket is gone; the handler forgets the session and deletes it (later).
    virtual void sessionClosed(Session &session) = 0;
};

// The server's real limits (the timeouts are ServerConfig's defaults, which the server copies in).
struct SessionLimits {
    // Whole BATCH frames a session hands to one worker task (all covered by one commit). Bigger
    // tasks mean fewer commits and wake-ups; 16 -> 64 (with agency windows of 128) cut 5x1M by
    // ~25 % (docs/PERFORMANCE.md). 128 gained little more and raised peak memory by a third.
    static constexpr int kMaxBatchesPerTask = 64;

    int idleTimeoutMs = 60000; // no complete frame for this long: Timeout
    int frameTimeoutMs = 10000; // a started frame must be whole within this
    // The socket's read buffer: one task's worth of frames, so a session that is waiting pushes
    // back over TCP.
    qint64 readBufferSize = kMaxBatchesPerTask * protocol::kMaxFrameSize;
    // The read buffer of a session without an upload slot: enough for the small frames (HELLO,
    // DONE, GET_WINNERS) and the header of a BATCH, which then waits for a slot.
    qint64 controlReadBufferSize = 512;
    // Whole BATCH frames already buffered that go to the same worker task, at most.
    int maxBatchesPerTask = kMaxBatchesPerTask;
    // From the connection to a whole HELLO (a TLS handshake included): Timeout.
    int helloTimeoutMs = 10000;
    // Answers queued for the peer (Qt's write buffer plus the answers held): past this, before
    // the next request is taken, the peer is not reading and the connection is dropped. The
    // biggest answer (one agency's WINNERS) is never refused: the check comes before a request.
    qint64 maxQueuedOutputBytes = 1 << 20;
    // An upload slot holder with no task in flight and nothing buffered gives its slot back
    // after this long (at once when it is parked on GET_WINNERS): it holds its share of the
    // buffer budget only while it uses it. A started frame is bounded by frameTimeoutMs.
    int uploadSlotIdleMs = 1000;
};

// What a session draws on besides its handler; both outlive it.
struct SessionServices {
    // Upload admission: a session reads the bytes of a BATCH frame only while it holds an
    // upload slot, so that a flood of agencies leaves its batches in the kernel, not in the
    // server's memory. Null: no admission, every session reads as if it held a slot of its
    // largest size.
    UploadAdmission *admission = nullptr;
    // Told of the ERRORs the session sends and the limits its peer runs into (the operator's
    // counts). Null: nobody.
    ServerEvents *events = nullptr;
};

class Session : public QObject, private UploadAdmission::Client
{
    Q_OBJECT
public:
    // Takes ownership of the connected socket.
    Session(quint64 id, QTcpSocket *socket, const SessionLimits &limits, SessionHandler &handler,
        SessionServices services = SessionServices(), QObject *parent = nullptr);
    ~Session() override;

    quint64 id() const { return m_id; }
    const QString &peer() const { return m_peer; }
    bool hasAgency() const { return m_agency != 0; }
    quint32 agency() const { return m_agency; }
    void setAgency(quint32 agency) { m_agency = agency; }
    // The agency number the peer's HELLO claimed, accepted or not (0: no HELLO yet): the log and
    // the console name it when the HELLO is refused (invalid_agency, unauthorized).
    quint32 claimedAgency() const { return m_claimedAgency; }
    void setClaimedAgency(quint32 agency) { m_claimedAgency = agency; }
    // The protocol version agreed in HELLO/WELCOME (1 until then): which frames it is sent.
    quint16 protocolVersion() const { return m_protocolVersion; }
    void setProtocolVersion(quint16 version) { m_protocolVersion = version; }
    // The bets WELCOME said are stored (version 2): LIST_STORED may ask for those, each at most
    // once on this connection.
    void setListableBets(quint64 bets) { m_listableBets = bets; }

    void start();
    void send(const protocol::Message &message);
    // Answers sent between these two leave in one write (nesting counts): the acks of one task,
    // its DONE_ACK, the WINNERS chunks. An ERROR sends the held ones first.
    void holdAnswers();
    void releaseAnswers();
    // Sends ERROR(code, message), logs it and closes the connection.
    void fail(protocol::ErrorCode code, const QString &message);

    // The handler took the request (HELLO) to a worker: nothing more is read until
    // taskFinished(). BATCH and DONE are held this way by the session itself.
    void holdForTask();
    // The request handed to the handler has been answered: read on.
    void taskFinished();
    bool hasTaskInFlight() const { return m_taskInFlight; }

    // The rule "no DONE after a REJECT" (PROTOCOL.md, section 7): a DONE must not close an
    // agency's upload while a batch it sent on this connection was refused. The session keeps
    // it: it sends no DONE to the store once a REJECT was answered (noteBatchRejected()), and
    // a DONE pipelined behind batches is recorded by the store job only if all of them are
    // acknowledged (runStoreJob()); both refusals are refuseDone(), with this reason.
    void noteBatchRejected() { m_batchRejected = true; }
    static QString doneAfterRejectReason();
    // Answers a DONE refused by that rule: ERROR(UnexpectedMessage), close. The agency resumes
    // from a new WELCOME.
    void refuseDone();

    // Upload admission, as the admission (its owner) says; without one, always a slot of
    // maxUploadReservation().
    bool hasUploadSlot() const { return !m_admission || m_admission->holds(*this); }
    // The bytes an upload slot should give this session now: what it has waiting (in its socket
    // and in the kernel), at least one whole frame, at most two tasks' worth (one in a worker,
    // one read ahead). The task in flight and the socket's read buffer share them.
    qint64 uploadBytesWanted() const;
    qint64 uploadReservation() const
    {
        return m_admission ? m_admission->reservation(*this) : maxUploadReservation();
    }
    bool isWaitingForUploadSlot() const { return m_admission && m_admission->isWaiting(*this); }
    // While it waits for a slot under the server's own dispatcher, Qt reads nothing from its
    // socket (EpollEventDispatcher::holdReads): no read buffer is allocated for it.
    bool areSocketReadsHeld() const { return m_socketReadsHeld; }

    // A GET_WINNERS is parked until the draw: the idle timeout does not apply meanwhile.
    void setWaitingForDraw(bool waiting);
    bool isWaitingForDraw() const { return m_waitingForDraw; }

    // Shutdown: no new frames are taken, timeouts stop.
    void stopReading();
    bool isClosing() const { return m_closing; }
    // Drops the connection at once (shutdown bound reached).
    void abort();

    // Answers queued for the peer and not yet taken by the kernel, the held ones included.
    qint64 queuedOutputBytes() const;
    // The peer has closed its side (or reset) already, whether or not Qt has noticed yet.
    bool peerHasClosed() const;

private:
    // Reads nothing more, lets the queued output leave, disconnects (at most kCloseGraceMs).
    void closeGracefully();
    void onReadyRead();
    void readAvailable();
    void processFrames();
    // Cuts the next frame: the held one first, then from the splitter.
    protocol::DecodeStatus nextFrame(protocol::RawFrame &frame);
    void dispatch(protocol::Message message);
    // The next frame is a BATCH: true once the session holds an upload slot (asking for one).
    bool haveUploadSlot();
    // Gives the slot back (the task finished and others wait, or the uploads are over); on
    // close, leaves the queue too.
    void yieldUploadSlot();
    void leaveUploadAdmission();
    // A slot the admission granted (false without an admission: nothing to give back or grow).
    bool holdsAdmittedSlot() const { return m_admission && m_admission->holds(*this); }
    // UploadAdmission::Client: its turn came, it reads its batches now, up to `bytes` buffered.
    qint64 admissionBytesWanted() const override { return uploadBytesWanted(); }
    void admitted(qint64 bytes) override;
    // Waiting for a slot: Qt stops reading the socket and what it had read (its control
    // buffer's worth at most) moves to the splitter, so that Qt frees its read chunk.
    void holdSocketReads();
    void releaseSocketReads();
    // The peer reset the connection (the kernel closed it; Qt may not have read that far yet).
    bool connectionWasReset() const;
    qint64 maxUploadReservation() const;
    // Between tasks: a slot taken when little had arrived grows to what waits now.
    void growUploadSlot();
    // Holds a slot and uses none of it: no task in flight, nothing read and not yet handled.
    bool holdsIdleUploadSlot() const;
    // The peer does not take its answers: the connection is dropped (no ERROR: it would not
    // be read either).
    void dropUnreadingPeer();
    void writeOut(const std::string &bytes);
    void flushHeldAnswers();
    void failDecode(const protocol::DecodeError &error);
    // Sets or clears the idle, frame and HELLO deadlines from the session's state.
    void updateTimers();
    // One timer per session, armed for the earliest deadline; a deadline that moves later (the
    // idle one, at every frame) costs nothing until the timer fires early and re-arms itself.
    void armDeadlineTimer();
    void onDeadlineTimer();
    void onDisconnected();

    const quint64 m_id;
    // Owned (a child of this session); QPointer so that no path can use it once Qt destroyed it.
    QPointer<QTcpSocket> m_socket;
    const SessionLimits m_limits;
    SessionHandler &m_handler;
    ServerEvents *const m_events; // never null (nobody's when none was given)
    QString m_peer;
    quint32 m_agency = 0;
    quint32 m_claimedAgency = 0;
    quint16 m_protocolVersion = 1;
    protocol::FrameSplitter m_splitter;
    // A frame taken from the splitter while gathering batches that was not a BATCH: it is the
    // next one to handle. Owned, because the splitter's views die at its next feed().
    std::optional<std::pair<std::uint8_t, std::string>> m_heldFrame;
    // Monotonic milliseconds (QDeadlineTimer::current()), 0: not running.
    qint64 m_idleDeadline = 0; // no complete frame until then: Timeout
    qint64 m_frameDeadline = 0; // the started frame must be whole by then
    qint64 m_helloDeadline = 0; // from the connection to a whole HELLO
    qint64 m_closeDeadline = 0; // after ERROR: the peer's grace to take it, then abort
    qint64 m_slotIdleDeadline = 0; // an idle upload slot holder gives it back then
    qint64 m_timerArmedFor = 0; // when m_deadlineTimer fires, 0: not armed
    QTimer m_deadlineTimer;
    bool m_taskInFlight = false;
    bool m_taskIsUpload = false; // the task in flight is batches
    bool m_taskCarriesDone = false; // ... with the agency's DONE behind them
    bool m_batchRejected = false; // a REJECT was sent on this connection
    UploadAdmission *m_admission = nullptr; // the handler's; null: no admission
    EpollEventDispatcher *m_dispatcher = nullptr; // the main thread's, if it is the server's own
    bool m_socketReadsHeld = false;
    bool m_waitingForDraw = false;
    bool m_winnersRequested = false; // this connection sent its one GET_WINNERS
    quint64 m_listableBets = 0; // LIST_STORED: the bets WELCOME said are stored
    quint64 m_listedBets = 0; // LIST_STORED: the bets asked for on this connection
    bool m_stopped = false;
    bool m_closing = false;
    bool m_closedReported = false;
    bool m_writesStraightToKernel = false; // a plain TCP socket: send() may skip Qt's buffer
    int m_answersHeld = 0; // holdAnswers() depth
    std::string m_heldAnswers; // encoded frames waiting for releaseAnswers()
};

} // namespace lottery::server
