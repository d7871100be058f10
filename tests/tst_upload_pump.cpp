// UploadPump without a socket: messages in, frames out. Resume from WELCOME (skip storedBets valid
// rows, number from lastSequence + 1) whatever the batch size before and after, across a new
// connection of the same upload, and every way the conversation can end.
#include "common/bet_digest.h"
#include "lottery/agency/upload_pump.h"

#include "lottery/protocol/codec.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace lottery;
using lottery::agency::UploadError;
using lottery::agency::UploadPump;
using lottery::agency::UploadPumpOptions;
using Status = UploadPump::Status;
using Kind = UploadError::Kind;

namespace {

protocol::Bet betFor(int i)
{
    return protocol::Bet {"Nombre" + std::to_string(i), "Núñez", std::to_string(10000000 + i),
        "1990-01-01", static_cast<std::uint16_t>(i % 10000)};
}

// A pump whose frames are decoded as they are sent.
struct Harness {
    std::vector<protocol::Message> sent;
    std::unique_ptr<UploadPump> pump;

    explicit Harness(const UploadPumpOptions &options)
        : pump(std::make_unique<UploadPump>(options, [this](std::string_view frame) {
              protocol::StreamDecoder decoder;
              decoder.feed(frame);
              protocol::Message message;
              QCOMPARE(decoder.next(message), protocol::DecodeStatus::Ok);
              sent.push_back(message);
          }))
    {
    }

    template<typename T> std::vector<T> taken()
    {
        std::vector<T> out;
        std::vector<protocol::Message> others;
        for (const auto &m : sent) {
            if (const auto *t = std::get_if<T>(&m))
                out.push_back(*t);
            else
                others.push_back(m);
        }
        sent = std::move(others);
        return out;
    }

    // Steps until the pump waits (the window is full or it has sent DONE).
    Status drain()
    {
        Status status = Status::Ready;
        while (status == Status::Ready)
            status = pump->step();
        return status;
    }

    // Acknowledges every batch as the server would, until DONE is sent; returns the batches.
    std::vector<protocol::Batch> acknowledgeAll()
    {
        std::vector<protocol::Batch> all;
        while (true) {
            if (drain() == Status::Failed)
                return all;
            const auto batches = taken<protocol::Batch>();
            if (batches.empty())
                return all;
            for (const auto &batch : batches) {
                all.push_back(batch);
                pump->receive(protocol::Ack {
                    batch.sequence, static_cast<std::uint16_t>(batch.bets.size()), false});
            }
        }
    }
};

} // namespace

class TestUploadPump : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }
    void wholeConversation();
    void resumeFromWelcome_data();
    void resumeFromWelcome();
    void newConnectionResumesExactlyOnce_data();
    void newConnectionResumesExactlyOnce();
    void welcomeBelowAcknowledgedFails();
    void moreStoredThanTheFileHoldsFails();
    void endings_data();
    void endings();
    void windowBoundsBatchesInFlight();
    void doneAndGetWinnersFollowTheLastBatch();
    void rejectAfterThePipelinedDoneFails();
    void resumeByContentSendsOnlyUnmatchedRows();
    void resumeByContentFailures_data();
    void resumeByContentFailures();
    void fileEditedDuringAResumeByContentStops();

private:
    // A version-2 WELCOME for the stored bets `stored` (their running digest).
    static protocol::Welcome welcomeFor(const std::vector<protocol::Bet> &stored)
    {
        RunningDigest digest;
        for (const protocol::Bet &bet : stored)
            digest.addBet(bet);
        return protocol::Welcome {
            protocol::kProtocolVersion2, 1, stored.size(), digest.current(), 0};
    }
    static std::vector<protocol::Bet> betsFor(const std::vector<int> &indexes)
    {
        std::vector<protocol::Bet> bets;
        for (int i : indexes)
            bets.push_back(betFor(i));
        return bets;
    }

    // `count` valid bets, with an invalid row before each bet index in `invalidBefore`.
    QString writeBets(int count, const QList<int> &invalidBefore = {})
    {
        const QString path = m_dir.filePath(QStringLiteral("bets-%1.csv").arg(++m_files));
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly))
            return {};
        for (int i = 0; i < count; ++i) {
            if (invalidBefore.contains(i))
                file.write("not,a,valid,row\n");
            const protocol::Bet b = betFor(i);
            file.write(QByteArray::fromStdString(b.firstName + "," + b.lastName + "," + b.document
                + "," + b.birthdate + "," + std::to_string(b.number) + "\n"));
        }
        return path;
    }

    UploadPumpOptions options(const QString &file, int batch = 10, int window = 4) const
    {
        return UploadPumpOptions {7, QStringLiteral("tok"), file, batch, window, QDate(2024, 6, 1)};
    }

    QTemporaryDir m_dir;
    int m_files = 0;
};

void TestUploadPump::wholeConversation()
{
    Harness h(options(writeBets(25)));
    QSignalSpy completed(h.pump.get(), &UploadPump::uploadCompleted);
    QSignalSpy winners(h.pump.get(), &UploadPump::winnersReceived);
    QVERIFY(h.pump->startConnection());
    const auto hellos = h.taken<protocol::Hello>();
    QCOMPARE(hellos.size(), std::size_t(1));
    QCOMPARE(hellos[0].agency, 7u);
    QCOMPARE(hellos[0].token, std::string("tok"));
    QCOMPARE(h.pump->step(), Status::Waiting); // nothing before WELCOME
    QVERIFY(h.sent.empty());

    QCOMPARE(h.pump->receive(protocol::Welcome {protocol::kProtocolVersion, 0, 0}), Status::Ready);
    const auto batches = h.acknowledgeAll();
    QCOMPARE(batches.size(), std::size_t(3));
    QCOMPARE(batches[0].sequence, 1ull);
    QCOMPARE(batches[2].sequence, 3ull);
    QCOMPARE(batches[2].bets.size(), std::size_t(5));
    QCOMPARE(h.taken<protocol::Done>().size(), std::size_t(1));
    QCOMPARE(h.taken<protocol::GetWinners>().size(), std::size_t(1));
    QCOMPARE(h.pump->awaiting(), UploadPump::Awaiting::DoneAck);

    QCOMPARE(h.pump->receive(protocol::DoneAck {}), Status::Waiting);
    QCOMPARE(completed.count(), 1);
    QVERIFY(h.sent.empty()); // GET_WINNERS went out behind DONE already
    QCOMPARE(h.pump->receive(protocol::Winners {false, {"1"}}), Status::Waiting);
    QCOMPARE(h.pump->receive(protocol::Winners {true, {"2"}}), Status::Finished);
    QCOMPARE(h.pump->winners(), (QStringList {"1", "2"}));
    QCOMPARE(winners.count(), 1);
    QCOMPARE(h.pump->betsAcknowledged(), 25);
}

void TestUploadPump::resumeFromWelcome_data()
{
    QTest::addColumn<int>("bets");
    QTest::addColumn<QList<int>>("invalidBefore");
    QTest::addColumn<int>("batchSize");
    QTest::addColumn<quint64>("lastSequence");
    QTest::addColumn<quint64>("storedBets");
    // Stored by an earlier run with another batch size: only the bet count decides the skip.
    QTest::newRow("nothing-stored") << 30 << QList<int>() << 10 << 0ull << 0ull;
    QTest::newRow("smaller-batches-now") << 100 << QList<int>() << 37 << 2ull << 80ull;
    QTest::newRow("larger-batches-now") << 100 << QList<int>() << 150 << 8ull << 37ull;
    QTest::newRow("invalid-rows-not-counted") << 40 << QList<int> {0, 5, 21} << 7 << 3ull << 21ull;
    QTest::newRow("everything-stored") << 20 << QList<int>() << 10 << 2ull << 20ull;
}

void TestUploadPump::resumeFromWelcome()
{
    QFETCH(int, bets);
    QFETCH(QList<int>, invalidBefore);
    QFETCH(int, batchSize);
    QFETCH(quint64, lastSequence);
    QFETCH(quint64, storedBets);
    Harness h(options(writeBets(bets, invalidBefore), batchSize, 1000));
    QVERIFY(h.pump->startConnection());
    h.pump->receive(protocol::Welcome {protocol::kProtocolVersion, lastSequence, storedBets});
    const auto batches = h.acknowledgeAll();
    QCOMPARE(h.pump->failure().kind, Kind::None);
    // Numbered from lastSequence + 1, without a gap; the bets are exactly the rows not stored.
    std::vector<protocol::Bet> resent;
    for (std::size_t i = 0; i < batches.size(); ++i) {
        QCOMPARE(batches[i].sequence, lastSequence + 1 + i);
        resent.insert(resent.end(), batches[i].bets.begin(), batches[i].bets.end());
    }
    QCOMPARE(resent.size(), std::size_t(bets) - storedBets);
    for (std::size_t i = 0; i < resent.size(); ++i)
        QVERIFY2(
            resent[i] == betFor(static_cast<int>(storedBets + i)), qPrintable(QString::number(i)));
    QCOMPARE(h.pump->rowsSkipped(), static_cast<qint64>(storedBets));
    QCOMPARE(h.pump->invalidRows(), invalidBefore.size());
    QCOMPARE(h.taken<protocol::Done>().size(), std::size_t(1));
}

void TestUploadPump::newConnectionResumesExactlyOnce_data()
{
    QTest::addColumn<int>("acknowledgedBeforeLoss"); // batches of 10 acked on the first connection
    QTest::addColumn<int>("storedBeforeLoss"); // of the 4 in flight, how many the server stored
    QTest::newRow("in-flight-lost") << 2 << 0;
    QTest::newRow("in-flight-stored-acks-lost") << 2 << 4;
    QTest::newRow("some-stored") << 1 << 2;
    QTest::newRow("before-any-ack") << 0 << 0;
}

void TestUploadPump::newConnectionResumesExactlyOnce()
{
    QFETCH(int, acknowledgedBeforeLoss);
    QFETCH(int, storedBeforeLoss);
    Harness h(options(writeBets(95, {3, 50}), 10, 4));
    QSignalSpy invalid(h.pump.get(), &UploadPump::invalidRow);
    QVERIFY(h.pump->startConnection());
    QCOMPARE(h.taken<protocol::Hello>().size(), std::size_t(1));
    h.pump->receive(protocol::Welcome {protocol::kProtocolVersion, 0, 0});
    std::vector<protocol::Bet> stored; // what "the server" keeps, in order
    int batchesStored = 0;
    for (int round = 0; round < acknowledgedBeforeLoss; ++round) {
        h.drain();
        const auto batch = h.taken<protocol::Batch>();
        QVERIFY(!batch.empty());
        stored.insert(stored.end(), batch[0].bets.begin(), batch[0].bets.end());
        ++batchesStored;
        h.pump->receive(protocol::Ack {batch[0].sequence, 10, false});
        // The other batches stay in flight: they come back with the next drain's.
        for (std::size_t i = 1; i < batch.size(); ++i)
            h.sent.push_back(batch[i]);
    }
    h.drain();
    auto inFlight = h.taken<protocol::Batch>();
    // Stored before the loss but never acknowledged: the next WELCOME says so.
    for (int i = 0; i < storedBeforeLoss && i < static_cast<int>(inFlight.size()); ++i) {
        stored.insert(stored.end(), inFlight[std::size_t(i)].bets.begin(),
            inFlight[std::size_t(i)].bets.end());
        ++batchesStored;
    }

    QVERIFY(h.pump->startConnection()); // the connection dropped; a new one
    QCOMPARE(h.taken<protocol::Hello>().size(), std::size_t(1));
    h.pump->receive(protocol::Welcome {protocol::kProtocolVersion,
        static_cast<quint64>(batchesStored), static_cast<quint64>(stored.size())});
    QCOMPARE(h.pump->betsAcknowledged(), static_cast<qint64>(stored.size()));
    const auto rest = h.acknowledgeAll();
    QVERIFY(!rest.empty());
    QCOMPARE(rest.front().sequence, static_cast<quint64>(batchesStored + 1));
    for (const auto &batch : rest)
        stored.insert(stored.end(), batch.bets.begin(), batch.bets.end());
    QCOMPARE(stored.size(), std::size_t(95));
    for (int i = 0; i < 95; ++i)
        QVERIFY2(stored[std::size_t(i)] == betFor(i), qPrintable(QString::number(i)));
    QCOMPARE(h.pump->betsAcknowledged(), 95);
    QCOMPARE(h.pump->rowsSkipped(), 0); // skipped rows were this upload's own
    QCOMPARE(invalid.count(), 2); // reported once although the file was read twice
}

void TestUploadPump::welcomeBelowAcknowledgedFails()
{
    Harness h(options(writeBets(50)));
    QVERIFY(h.pump->startConnection());
    h.pump->receive(protocol::Welcome {protocol::kProtocolVersion, 0, 0});
    h.drain();
    h.pump->receive(protocol::Ack {1, 10, false});
    h.pump->receive(protocol::Ack {2, 10, false});
    QVERIFY(h.pump->startConnection());
    h.sent.clear();
    QCOMPARE(
        h.pump->receive(protocol::Welcome {protocol::kProtocolVersion, 1, 10}), Status::Failed);
    QCOMPARE(h.pump->failure().kind, Kind::AcknowledgedBetsLost);
    const auto errors = h.taken<protocol::ErrorMessage>();
    QCOMPARE(errors.size(), std::size_t(1)); // the server is told why
    QCOMPARE(errors[0].code, protocol::ErrorCode::UnexpectedMessage);
}

void TestUploadPump::moreStoredThanTheFileHoldsFails()
{
    Harness h(options(writeBets(12)));
    QVERIFY(h.pump->startConnection());
    h.pump->receive(protocol::Welcome {protocol::kProtocolVersion, 3, 30});
    QCOMPARE(h.drain(), Status::Failed);
    QCOMPARE(h.pump->failure().kind, Kind::WrongFile);
    QVERIFY2(h.pump->failure().message.contains("has only 12 valid rows"),
        qPrintable(h.pump->failure().message));
    QVERIFY(h.taken<protocol::Done>().empty());
}

void TestUploadPump::endings_data()
{
    QTest::addColumn<int>("messageKind"); // 0 ERROR, 1 REJECT of batch 2, 2 WELCOME version 9
    QTest::addColumn<protocol::ErrorCode>("code");
    QTest::addColumn<int>("kind");
    QTest::newRow("error-shutting-down")
        << 0 << protocol::ErrorCode::ShuttingDown << int(Kind::ServerError);
    QTest::newRow("error-superseded")
        << 0 << protocol::ErrorCode::Superseded << int(Kind::ServerError);
    QTest::newRow("reject-sequence-conflict")
        << 1 << protocol::ErrorCode::SequenceConflict << int(Kind::BatchRejected);
    QTest::newRow("reject-storage-failure")
        << 1 << protocol::ErrorCode::StorageFailure << int(Kind::BatchRejected);
    QTest::newRow("welcome-other-version")
        << 2 << protocol::ErrorCode::UnsupportedVersion << int(Kind::VersionMismatch);
}

void TestUploadPump::endings()
{
    QFETCH(int, messageKind);
    QFETCH(protocol::ErrorCode, code);
    QFETCH(int, kind);
    Harness h(options(writeBets(30)));
    QVERIFY(h.pump->startConnection());
    if (messageKind != 2) {
        h.pump->receive(protocol::Welcome {protocol::kProtocolVersion, 0, 0});
        h.drain();
    }
    protocol::Message message;
    if (messageKind == 0)
        message = protocol::ErrorMessage {code, "bye"};
    else if (messageKind == 1)
        message = protocol::Reject {2, code, protocol::kNoBetIndex, "no"};
    else
        message = protocol::Welcome {9, 0, 0};
    QCOMPARE(h.pump->receive(message), Status::Failed);
    QCOMPARE(int(h.pump->failure().kind), kind);
    if (messageKind != 2) {
        QCOMPARE(h.pump->failure().code, std::optional(code)); // the code, not just text
    }
    if (messageKind == 1)
        QCOMPARE(h.pump->failure().rejectedSequence, 2ull);
    QCOMPARE(h.pump->step(), Status::Failed); // nothing more is sent after a failure
}

void TestUploadPump::windowBoundsBatchesInFlight()
{
    Harness h(options(writeBets(100), 5, 3));
    QVERIFY(h.pump->startConnection());
    h.pump->receive(protocol::Welcome {protocol::kProtocolVersion, 0, 0});
    QCOMPARE(h.drain(), Status::Waiting);
    QCOMPARE(h.taken<protocol::Batch>().size(), std::size_t(3));
    QCOMPARE(h.pump->batchesInFlight(), 3);
    QCOMPARE(h.pump->receive(protocol::Ack {1, 5, false}), Status::Ready);
    QCOMPARE(h.drain(), Status::Waiting);
    const auto next = h.taken<protocol::Batch>();
    QCOMPARE(next.size(), std::size_t(1));
    QCOMPARE(next[0].sequence, 4ull);
}

// DONE and GET_WINNERS leave right behind the last batch, before any ACK; the pump then still
// expects the ACKs in order, then DONE_ACK, then WINNERS.
void TestUploadPump::doneAndGetWinnersFollowTheLastBatch()
{
    Harness h(options(writeBets(25), 10, 4));
    QSignalSpy completed(h.pump.get(), &UploadPump::uploadCompleted);
    QVERIFY(h.pump->startConnection());
    h.sent.clear();
    QCOMPARE(h.pump->receive(protocol::Welcome {protocol::kProtocolVersion, 0, 0}), Status::Ready);
    QCOMPARE(h.drain(), Status::Waiting);
    QCOMPARE(h.sent.size(), std::size_t(5));
    for (std::size_t i = 0; i < 3; ++i)
        QVERIFY(std::holds_alternative<protocol::Batch>(h.sent[i]));
    QVERIFY(std::holds_alternative<protocol::Done>(h.sent[3]));
    QVERIFY(std::holds_alternative<protocol::GetWinners>(h.sent[4]));
    h.sent.clear();
    QCOMPARE(h.pump->awaiting(), UploadPump::Awaiting::Acks);
    QCOMPARE(h.pump->batchesInFlight(), 3);

    // DONE_ACK before the last ACK is out of order.
    QCOMPARE(h.pump->receive(protocol::Ack {1, 10, false}), Status::Waiting);
    QCOMPARE(h.pump->receive(protocol::Ack {2, 10, false}), Status::Waiting);
    QCOMPARE(h.pump->awaiting(), UploadPump::Awaiting::Acks);
    QCOMPARE(h.pump->receive(protocol::Ack {3, 5, false}), Status::Waiting);
    QCOMPARE(h.pump->awaiting(), UploadPump::Awaiting::DoneAck);
    QCOMPARE(completed.count(), 0);
    QCOMPARE(h.pump->receive(protocol::DoneAck {}), Status::Waiting);
    QCOMPARE(completed.count(), 1);
    QCOMPARE(h.pump->awaiting(), UploadPump::Awaiting::Winners);
    QCOMPARE(h.pump->receive(protocol::Winners {true, {"9"}}), Status::Finished);
    QVERIFY(h.sent.empty());
    QCOMPARE(h.pump->betsAcknowledged(), 25);
}

// A REJECT of a batch the DONE was pipelined behind fails the upload like any REJECT (the
// session then resyncs or stops by its code); the server does not record that DONE.
void TestUploadPump::rejectAfterThePipelinedDoneFails()
{
    Harness h(options(writeBets(25), 10, 4));
    QVERIFY(h.pump->startConnection());
    h.pump->receive(protocol::Welcome {protocol::kProtocolVersion, 0, 0});
    QCOMPARE(h.drain(), Status::Waiting);
    QCOMPARE(h.taken<protocol::Done>().size(), std::size_t(1));
    QCOMPARE(h.pump->receive(protocol::Ack {1, 10, false}), Status::Waiting);
    QCOMPARE(h.pump->receive(protocol::Reject {2, protocol::ErrorCode::SequenceGap, 0xffff, "gap"}),
        Status::Failed);
    QCOMPARE(h.pump->failure().kind, Kind::BatchRejected);
    QCOMPARE(h.pump->failure().rejectedSequence, 2ull);
    // A DONE_ACK here would be a protocol violation: the pump expects nothing more.
    QCOMPARE(h.pump->awaiting(), UploadPump::Awaiting::Nothing);
}

// Bets 3 and 7 were invalid rows when the server stored the others of 0..9; now they are valid,
// between stored rows: the pump lists the stored bets and sends 3, 7 and 10..29, nothing twice.
void TestUploadPump::resumeByContentSendsOnlyUnmatchedRows()
{
    Harness h(options(writeBets(30), 10, 8));
    QSignalSpy matched(h.pump.get(), &UploadPump::storedBetsMatched);
    const std::vector<protocol::Bet> stored = betsFor({0, 1, 2, 4, 5, 6, 8, 9});
    QVERIFY(h.pump->startConnection());
    h.taken<protocol::Hello>();
    h.pump->receive(welcomeFor(stored));
    QCOMPARE(h.drain(), Status::Waiting);
    QCOMPARE(h.pump->awaiting(), UploadPump::Awaiting::StoredList);
    const auto requests = h.taken<protocol::ListStored>();
    QCOMPARE(requests.size(), std::size_t(1));
    QCOMPARE(requests.front(), (protocol::ListStored {0, 8}));
    QVERIFY(h.taken<protocol::Batch>().empty()); // nothing before the list is proved
    // In two chunks, as the server cuts a long answer.
    QCOMPARE(
        h.pump->receive(protocol::StoredList {0, false, betsFor({0, 1, 2, 4})}), Status::Waiting);
    QCOMPARE(h.pump->receive(protocol::StoredList {4, true, betsFor({5, 6, 8, 9})}), Status::Ready);
    QCOMPARE(matched.size(), 1);
    QCOMPARE(matched.first().at(0).toULongLong(), quint64(8));
    QCOMPARE(matched.first().at(1).toULongLong(), quint64(22));
    QCOMPARE(h.drain(), Status::Waiting);
    std::vector<protocol::Bet> sent;
    quint64 sequence = 1;
    for (const protocol::Batch &batch : h.taken<protocol::Batch>()) {
        QCOMPARE(batch.sequence, ++sequence); // from WELCOME's lastSequence + 1
        sent.insert(sent.end(), batch.bets.begin(), batch.bets.end());
    }
    std::vector<int> expected {3, 7};
    for (int i = 10; i < 30; ++i)
        expected.push_back(i);
    QVERIFY(sent == betsFor(expected));
    QCOMPARE(h.pump->rowsSkipped(), qint64(8));
    QCOMPARE(h.taken<protocol::Done>().size(), std::size_t(1));
}

void TestUploadPump::resumeByContentFailures_data()
{
    QTest::addColumn<int>("answer"); // 0 a bet the file lacks, 1 a list not WELCOME's, 2 a range
    QTest::addColumn<int>("kind");
    QTest::newRow("stored bet the file lacks") << 0 << int(Kind::StoredBetsDiffer);
    QTest::newRow("list that is not what WELCOME hashes") << 1 << int(Kind::ReceiptMismatch);
    QTest::newRow("list of other bets than asked") << 2 << int(Kind::ProtocolViolation);
    // A server whose store cannot list (or older than LIST_STORED): the old advice, no details.
    QTest::newRow("server that cannot list") << 3 << int(Kind::StoredBetsDiffer);
}

void TestUploadPump::resumeByContentFailures()
{
    QFETCH(int, answer);
    QFETCH(int, kind);
    Harness h(options(writeBets(30)));
    // Stored: bets 0, 1, 2 and 50 (the file has 0..29), WELCOME hashing exactly those.
    const std::vector<protocol::Bet> stored = betsFor({0, 1, 2, 50});
    QVERIFY(h.pump->startConnection());
    h.pump->receive(welcomeFor(stored));
    QCOMPARE(h.drain(), Status::Waiting);
    protocol::StoredList list {0, true, stored};
    if (answer == 1)
        list.bets[3] = betFor(3); // in the file, but not what the server stores
    if (answer == 2)
        list.from = 1;
    if (answer == 3) {
        QCOMPARE(h.pump->receive(protocol::ErrorMessage {protocol::ErrorCode::UnexpectedMessage,
                     "this server's store (db) cannot list stored bets"}),
            Status::Failed);
    } else {
        QCOMPARE(h.pump->receive(list), Status::Failed);
    }
    const UploadError &failure = h.pump->failure();
    QCOMPARE(int(failure.kind), kind);
    QVERIFY(h.taken<protocol::Batch>().empty());
    QVERIFY(h.taken<protocol::Done>().empty());
    if (answer == 0) {
        QCOMPARE(failure.missingStoredCount, quint64(1));
        QCOMPARE(failure.missingStoredBets.size(), 1);
        const agency::MissingStoredBet &missing = failure.missingStoredBets.front();
        QCOMPARE(missing.index, quint64(3));
        QCOMPARE(missing.document, QStringLiteral("10000050"));
        QCOMPARE(missing.afterLine, qint64(3)); // bet 2's line
        QVERIFY(h.taken<protocol::ErrorMessage>().empty());
    } else if (answer == 3) {
        QCOMPARE(failure.missingStoredCount, quint64(0));
        QVERIFY(failure.code == protocol::ErrorCode::UnexpectedMessage);
        QVERIFY(failure.message.contains("cannot list them"));
    } else {
        QCOMPARE(h.taken<protocol::ErrorMessage>().size(), std::size_t(1));
    }
}

// The file is read three times in a resume by content; edited between the first read and the
// sending one, what was matched no longer describes it: the pump stops rather than guess.
void TestUploadPump::fileEditedDuringAResumeByContentStops()
{
    const QString path = writeBets(30);
    Harness h(options(path));
    QVERIFY(h.pump->startConnection());
    h.pump->receive(welcomeFor(betsFor({0, 1, 2, 4})));
    QCOMPARE(h.drain(), Status::Waiting);
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    for (int i = 0; i < 30; ++i) {
        const protocol::Bet b = betFor(i == 1 ? 99 : i);
        file.write(QByteArray::fromStdString(b.firstName + "," + b.lastName + "," + b.document + ","
            + b.birthdate + "," + std::to_string(b.number) + "\n"));
    }
    file.close();
    QCOMPARE(h.pump->receive(protocol::StoredList {0, true, betsFor({0, 1, 2, 4})}), Status::Ready);
    QCOMPARE(h.drain(), Status::Failed);
    QCOMPARE(h.pump->failure().kind, Kind::FileError);
    QVERIFY2(h.pump->failure().message.contains("changed while it was being sent (line 2"),
        qPrintable(h.pump->failure().message));
    QVERIFY(h.taken<protocol::Batch>().empty());
}

QTEST_GUILESS_MAIN(TestUploadPump)
#include "tst_upload_pump.moc"
