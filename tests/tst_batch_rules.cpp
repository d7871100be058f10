// decideBatch(), the one rule set both stores apply (tst_store_contract runs them end to end):
// every kind of decision, the order of the checks, and what the peer is told.
#include "server/storage/batch_rules.h"

#include <QTest>

using namespace lottery::server;
using Kind = BatchDecision::Kind;

Q_DECLARE_METATYPE(BatchDecision::Kind)

class TestBatchRules : public QObject
{
    Q_OBJECT

private slots:
    void decides_data();
    void decides();
};

void TestBatchRules::decides_data()
{
    QTest::addColumn<quint64>("sequence");
    QTest::addColumn<quint64>("next");
    QTest::addColumn<bool>("done");
    QTest::addColumn<bool>("hasPrint");
    QTest::addColumn<quint32>("printCount"); // the stored fingerprint (the batch: 10, 0xabc)
    QTest::addColumn<quint32>("printCrc");
    QTest::addColumn<Kind>("kind");
    QTest::addColumn<quint64>("expected");
    QTest::addColumn<QString>("error"); // a part of the message; empty: no message

    QTest::newRow("the next sequence is stored") << quint64(5) << quint64(5) << false << false << 0u
                                                 << 0u << Kind::Stored << quint64(0) << QString();
    QTest::newRow("the first batch of a new agency")
        << quint64(1) << quint64(1) << false << false << 0u << 0u << Kind::Stored << quint64(0)
        << QString();
    QTest::newRow("a resend with the same count and CRC is a duplicate")
        << quint64(3) << quint64(5) << false << true << 10u << 0xabcu << Kind::Duplicate
        << quint64(0) << QString();
    QTest::newRow("a resend with another CRC conflicts")
        << quint64(3) << quint64(5) << false << true << 10u << 0xabdu << Kind::Conflict
        << quint64(5)
        << QStringLiteral("sequence 3 is stored with other content (10 bets, "
                          "CRC 00000abd; this one: 10 bets, CRC 00000abc)");
    QTest::newRow("a resend with another count conflicts")
        << quint64(3) << quint64(5) << false << true << 11u << 0xabcu << Kind::Conflict
        << quint64(5) << QStringLiteral("(11 bets, CRC 00000abc; this one: 10 bets");
    QTest::newRow("below next with no stored batch conflicts")
        << quint64(2) << quint64(5) << false << false << 0u << 0u << Kind::Conflict << quint64(5)
        << QStringLiteral("sequence 2 is below the next expected 5 but has no stored batch");
    QTest::newRow("beyond next is a gap")
        << quint64(7) << quint64(5) << false << false << 0u << 0u << Kind::Gap << quint64(5)
        << QStringLiteral("expected sequence 5, got 7");
    QTest::newRow("sequence 0 is refused, naming the next")
        << quint64(0) << quint64(5) << false << false << 0u << 0u << Kind::ZeroSequence
        << quint64(5) << QStringLiteral("sequence 0 is not a batch sequence");
    QTest::newRow("sequence 0 wins over DONE")
        << quint64(0) << quint64(5) << true << false << 0u << 0u << Kind::ZeroSequence << quint64(5)
        << QStringLiteral("expected 5");
    QTest::newRow("after DONE even the next sequence is refused")
        << quint64(5) << quint64(5) << true << false << 0u << 0u << Kind::AfterDone << quint64(0)
        << QStringLiteral("agency 7 already sent DONE");
    QTest::newRow("after DONE a duplicate is refused too")
        << quint64(3) << quint64(5) << true << true << 10u << 0xabcu << Kind::AfterDone
        << quint64(0) << QStringLiteral("already sent DONE");
}

void TestBatchRules::decides()
{
    QFETCH(quint64, sequence);
    QFETCH(quint64, next);
    QFETCH(bool, done);
    QFETCH(bool, hasPrint);
    QFETCH(quint32, printCount);
    QFETCH(quint32, printCrc);
    QFETCH(Kind, kind);
    QFETCH(quint64, expected);
    QFETCH(QString, error);

    BatchToStore batch;
    batch.sequence = sequence;
    batch.betCount = 10;
    batch.crc = 0xabc;
    std::optional<BatchPrint> print;
    if (hasPrint)
        print = BatchPrint {printCount, printCrc};
    const BatchDecision decision = decideBatch(7, batch, next, done, print);
    QCOMPARE(decision.kind, kind);
    QCOMPARE(decision.expectedSequence, expected);
    if (error.isEmpty())
        QVERIFY2(decision.error.isEmpty(), qPrintable(decision.error));
    else
        QVERIFY2(decision.error.contains(error), qPrintable(decision.error));
}

QTEST_GUILESS_MAIN(TestBatchRules)
#include "tst_batch_rules.moc"
