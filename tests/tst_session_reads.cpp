// A session waiting for an upload slot, under the server's own event dispatcher, over a real
// loopback connection: Qt reads nothing from its socket (no read buffer is kept for it), the
// agency's bytes wait in the kernel and all arrive, in order, once the slot is granted; a reset
// still reaches the held session; a hold belongs to its socket, not to the descriptor's number.
#include "server/net/epoll_event_dispatcher.h"
#include "server/net/session.h"
#include "support/loopback_pair.h"

#include "lottery/protocol/codec.h"

#include <QCoreApplication>
#include <QTest>

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <memory>
#include <string>
#include <vector>

using namespace lottery;
using lottery::server::EpollEventDispatcher;
using lottery::server::Session;
using lottery::server::SessionHandler;
using lottery::server::SessionLimits;
using lottery::server::SessionServices;
using lottery::server::UploadAdmission;

namespace {

constexpr int kBatches = 20;
constexpr int kBetsPerBatch = 40; // ~2 KiB per frame, ~40 KiB in all: well above 512 bytes

// The upload admission's only slot, held by the test: sessions queue behind it until the test
// gives it back.
class SlotHolder : public UploadAdmission::Client
{
public:
    qint64 admissionBytesWanted() const override { return 1; }
    void admitted(qint64) override { }
};

// Accepts every HELLO, admits uploads through a real admission whose only slot the test holds,
// finishes each task on the next loop iteration (as the server does, after a worker).
class SlotKeeper : public SessionHandler
{
public:
    void helloReceived(Session &session, const protocol::Hello &hello) override
    {
        session.setAgency(hello.agency);
    }
    void batchesReceived(Session &session, server::ReceivedBatches batches) override
    {
        for (const std::string_view body : batches.views())
            bodies.emplace_back(body);
        QMetaObject::invokeMethod(
            &session, [&session] { session.taskFinished(); }, Qt::QueuedConnection);
    }
    void doneReceived(Session &) override { }
    void winnersRequested(Session &) override { }
    void sessionClosed(Session &) override { ++closed; }

    UploadAdmission admission {1, 1 << 20};
    SlotHolder testHoldsTheSlot;
    std::vector<std::string> bodies;
    int closed = 0;
};

// A loopback connection whose server side is a started Session (declared last: it goes first,
// and takes its socket with it).
struct Connection : test::LoopbackPair {
    SlotKeeper handler;
    std::unique_ptr<Session> session;

    bool open()
    {
        if (!LoopbackPair::open() || !handler.admission.request(handler.testHoldsTheSlot, 1))
            return false;
        session = std::make_unique<Session>(1, serverSide, SessionLimits {}, handler,
            SessionServices {&handler.admission, nullptr});
        session->start();
        return true;
    }

    void send(const std::string &bytes)
    {
        client.write(bytes.data(), static_cast<qint64>(bytes.size()));
        client.flush();
    }
};

protocol::Batch makeBatch(std::uint64_t sequence)
{
    protocol::Batch batch;
    batch.sequence = sequence;
    for (int i = 0; i < kBetsPerBatch; ++i) {
        batch.bets.push_back({"Santiago Lionel", "Lorca", std::to_string(30000000 + i),
            "1999-03-17", static_cast<std::uint16_t>(i)});
    }
    return batch;
}

int bytesInKernel(const QTcpSocket *socket)
{
    int waiting = -1;
    if (::ioctl(static_cast<int>(socket->socketDescriptor()), FIONREAD, &waiting) != 0)
        return -1;
    return waiting;
}

// The proof that a held socket is not read, without a fixed sleep: once its bytes wait in the
// kernel, the descriptor is readable, and epoll (level-triggered) reports it to every pass of
// the event loop whose notifier is on; a notifier that is on reads them in that pass. So a few
// passes after the bytes arrived show whether anything reads them.
void runEventLoopPasses()
{
    for (int pass = 0; pass < 3; ++pass)
        QCoreApplication::processEvents(QEventLoop::AllEvents);
}

} // namespace

class TestSessionReads : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QVERIFY2(EpollEventDispatcher::ofCurrentThread() != nullptr,
            "this suite runs under the server's own dispatcher");
    }

    void aWaitingSessionLeavesTheBytesInTheKernel()
    {
        Connection connection;
        QVERIFY(connection.open());
        std::string sent = protocol::encodeFrame(protocol::Hello {1, 7, {}});
        std::vector<std::string> expected;
        for (int sequence = 1; sequence <= kBatches; ++sequence) {
            const std::string frame = protocol::encodeFrame(makeBatch(sequence));
            expected.push_back(frame.substr(protocol::kFrameHeaderSize));
            sent += frame;
        }
        connection.send(sent);
        QTRY_VERIFY(connection.session->isWaitingForUploadSlot());
        QCOMPARE(connection.handler.admission.waiting(), 1);
        QVERIFY(connection.session->areSocketReadsHeld());
        // Everything sent but the HELLO (and what Qt read with it: its control buffer's worth,
        // 512 bytes in a 16 KiB chunk) arrives in the kernel; then the loop runs: a read
        // notifier that fired would move bytes into Qt's buffer.
        QTRY_VERIFY2(bytesInKernel(connection.serverSide) >= int(sent.size()) - 1024,
            qPrintable(QStringLiteral("%1 of %2 bytes in the kernel")
                           .arg(bytesInKernel(connection.serverSide))
                           .arg(sent.size())));
        const int waiting = bytesInKernel(connection.serverSide);
        runEventLoopPasses();
        QCOMPARE(connection.serverSide->bytesAvailable(), qint64(0));
        QCOMPARE(bytesInKernel(connection.serverSide), waiting);
        QVERIFY(connection.handler.bodies.empty());

        connection.handler.admission.release(connection.handler.testHoldsTheSlot);
        QVERIFY(connection.session->hasUploadSlot()); // granted by the admission itself
        QVERIFY(!connection.session->areSocketReadsHeld());
        QTRY_COMPARE(connection.handler.bodies.size(), expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i)
            QVERIFY2(connection.handler.bodies[i] == expected[i], qPrintable(QString::number(i)));
        QCOMPARE(connection.handler.closed, 0);
    }

    void aResetReachesAHeldSession()
    {
        Connection connection;
        QVERIFY(connection.open());
        connection.send(protocol::encodeFrame(protocol::Hello {1, 7, {}})
            + protocol::encodeFrame(makeBatch(1)));
        QTRY_VERIFY(connection.session->areSocketReadsHeld());
        // An abortive close: the agency's host answers with RST.
        const linger abortive {1, 0};
        QCOMPARE(::setsockopt(static_cast<int>(connection.client.socketDescriptor()), SOL_SOCKET,
                     SO_LINGER, &abortive, sizeof abortive),
            0);
        connection.client.abort();
        QTRY_COMPARE(connection.handler.closed, 1);
    }

    void aHoldBelongsToItsSocketNotToTheNumber()
    {
        EpollEventDispatcher *dispatcher = EpollEventDispatcher::ofCurrentThread();
        test::LoopbackPair firstPair;
        QVERIFY(firstPair.open());
        std::unique_ptr<QTcpSocket> first(firstPair.serverSide);
        const qintptr number = first->socketDescriptor();
        dispatcher->holdReads(first.get(), true);
        QVERIFY(dispatcher->readsHeld(first.get()));
        firstPair.client.write("held");
        firstPair.client.flush();
        QTRY_COMPARE(bytesInKernel(first.get()), 4);
        runEventLoopPasses();
        QCOMPARE(first->bytesAvailable(), qint64(0));
        QCOMPARE(bytesInKernel(first.get()), 4);

        // The second client's own descriptor is taken first; then the first connection closes
        // (Qt closes its descriptor; the object and its hold live on) and the accept that
        // follows gets the lowest free number, the first one's.
        test::LoopbackPair secondPair;
        QVERIFY(secondPair.connectClient());
        first->abort();
        QVERIFY(!dispatcher->readsHeld(first.get()));
        QVERIFY(secondPair.acceptServerSide());
        std::unique_ptr<QTcpSocket> second(secondPair.serverSide);
        if (second->socketDescriptor() != number)
            QSKIP("the kernel gave the second connection another descriptor");
        QVERIFY(!dispatcher->readsHeld(second.get()));
        secondPair.client.write("not held");
        QTRY_COMPARE(second->bytesAvailable(), qint64(8));
        QCOMPARE(second->readAll(), QByteArray("not held"));
    }

    void releasingAHoldDeliversWhatWaited()
    {
        EpollEventDispatcher *dispatcher = EpollEventDispatcher::ofCurrentThread();
        test::LoopbackPair pair;
        QVERIFY(pair.open());
        std::unique_ptr<QTcpSocket> socket(pair.serverSide);
        dispatcher->holdReads(socket.get(), true);
        pair.client.write("waited in the kernel");
        pair.client.flush();
        QTRY_COMPARE(bytesInKernel(socket.get()), 20);
        runEventLoopPasses();
        QCOMPARE(socket->bytesAvailable(), qint64(0));
        dispatcher->holdReads(socket.get(), false);
        QTRY_COMPARE(socket->bytesAvailable(), qint64(20));
        QCOMPARE(socket->readAll(), QByteArray("waited in the kernel"));
    }
};

// The dispatcher lottery-server installs, installed the same way (before the application).
int main(int argc, char *argv[])
{
    QCoreApplication::setEventDispatcher(new EpollEventDispatcher);
    QCoreApplication app(argc, argv);
    TestSessionReads test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}
#include "tst_session_reads.moc"
