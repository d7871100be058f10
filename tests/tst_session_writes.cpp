// Session::send over a real loopback connection: an answer goes straight into the kernel while
// Qt's write buffer is empty (no 32 KiB chunk kept per socket); held answers leave together, and
// before an ERROR; when the kernel's buffer is full the rest queues in Qt's buffer, in order.
#include "server/net/session.h"
#include "support/loopback_pair.h"

#include "lottery/protocol/codec.h"

#include <QElapsedTimer>
#include <QTest>

#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

using namespace lottery;
using lottery::server::Session;
using lottery::server::SessionHandler;
using lottery::server::SessionLimits;

namespace {

// The session only writes here: nothing it receives is answered.
class SilentHandler : public SessionHandler
{
public:
    void helloReceived(Session &, const protocol::Hello &) override { }
    void batchesReceived(Session &, server::ReceivedBatches) override { }
    void doneReceived(Session &) override { }
    void winnersRequested(Session &) override { }
    void sessionClosed(Session &) override { }
};

// A loopback connection whose server side is a Session (declared last: it goes first, and
// takes its socket with it).
struct Connection : test::LoopbackPair {
    SilentHandler handler;
    std::unique_ptr<Session> session;

    bool open()
    {
        if (!LoopbackPair::open())
            return false;
        session = std::make_unique<Session>(1, serverSide, SessionLimits {}, handler);
        return true;
    }
};

std::string ackFrame(std::uint64_t sequence)
{
    return protocol::encodeFrame(protocol::Ack {sequence, 100, false});
}

} // namespace

class TestSessionWrites : public QObject
{
    Q_OBJECT

private slots:
    void anAnswerSkipsQtsWriteBuffer()
    {
        Connection connection;
        QVERIFY(connection.open());
        connection.session->send(protocol::Ack {7, 100, false});
        // Through Qt's buffer the frame would wait there until the event loop ran again.
        QCOMPARE(connection.serverSide->bytesToWrite(), qint64(0));
        const std::string expected = ackFrame(7);
        QTRY_COMPARE(connection.client.bytesAvailable(), qint64(expected.size()));
        QCOMPARE(connection.client.readAll().toStdString(), expected);
    }

    void heldAnswersLeaveTogetherOnRelease()
    {
        Connection connection;
        QVERIFY(connection.open());
        connection.session->holdAnswers();
        connection.session->holdAnswers(); // nested: the outer release sends
        std::string expected;
        for (std::uint64_t sequence = 1; sequence <= 3; ++sequence) {
            connection.session->send(protocol::Ack {sequence, 100, false});
            expected += ackFrame(sequence);
        }
        connection.session->releaseAnswers();
        // Not written at all yet. The proof without a sleep: a marker written now on the same
        // socket reaches the peer first; anything the session had written would be before it.
        QCOMPARE(connection.serverSide->bytesToWrite(), qint64(0));
        const char marker = '!';
        QCOMPARE(::write(static_cast<int>(connection.serverSide->socketDescriptor()), &marker, 1),
            ssize_t(1));
        QTRY_COMPARE(connection.client.bytesAvailable(), qint64(1));
        QCOMPARE(connection.client.readAll(), QByteArray(1, marker));
        connection.session->releaseAnswers();
        QTRY_COMPARE(connection.client.bytesAvailable(), qint64(expected.size()));
        QCOMPARE(connection.client.readAll().toStdString(), expected);
    }

    void anErrorSendsTheHeldAnswersFirst()
    {
        Connection connection;
        QVERIFY(connection.open());
        connection.session->holdAnswers();
        connection.session->send(protocol::Ack {1, 100, false});
        connection.session->fail(protocol::ErrorCode::ShuttingDown, QStringLiteral("stopping"));
        connection.session->releaseAnswers(); // after the error: nothing more to send
        const std::string expected = ackFrame(1)
            + protocol::encodeFrame(
                protocol::ErrorMessage {protocol::ErrorCode::ShuttingDown, "stopping"});
        QTRY_COMPARE(connection.client.bytesAvailable(), qint64(expected.size()));
        QCOMPARE(connection.client.readAll().toStdString(), expected);
    }

    void aFullKernelBufferQueuesTheRestInOrder()
    {
        Connection connection;
        QVERIFY(connection.open());
        // Small kernel buffers on both ends, and a peer that reads nothing yet: they fill up.
        const int small = 4096;
        const int serverFd = static_cast<int>(connection.serverSide->socketDescriptor());
        const int clientFd = static_cast<int>(connection.client.socketDescriptor());
        QCOMPARE(::setsockopt(serverFd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
        QCOMPARE(::setsockopt(clientFd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
        connection.client.setReadBufferSize(1); // Qt on the peer's side must not drain it either

        std::string expected;
        constexpr std::uint64_t kFrames = 20000;
        bool queued = false;
        for (std::uint64_t sequence = 1; sequence <= kFrames; ++sequence) {
            connection.session->send(protocol::Ack {sequence, 100, false});
            expected += ackFrame(sequence);
            queued = queued || connection.serverSide->bytesToWrite() > 0;
        }
        QVERIFY2(queued, "the kernel took every frame: the test's buffers were not small enough");

        connection.client.setReadBufferSize(0);
        std::string received;
        QElapsedTimer clock;
        clock.start();
        while (received.size() < expected.size() && clock.elapsed() < 30000) {
            QTest::qWait(5);
            received += connection.client.readAll().toStdString();
        }
        QCOMPARE(received.size(), expected.size());
        QVERIFY(received == expected);
        QCOMPARE(connection.serverSide->bytesToWrite(), qint64(0));
    }
};

QTEST_GUILESS_MAIN(TestSessionWrites)
#include "tst_session_writes.moc"
