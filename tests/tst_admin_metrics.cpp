// The admin endpoint's parts on their own: the Prometheus text writer (label escaping, numbers,
// cumulative histogram buckets), ServerMetrics' counting of worker results, readiness, and the
// constant-time token comparison. The endpoint itself is tested in tst_admin_http.
#include "server/admin/admin_server.h"
#include "server/admin/metrics_formatter.h"
#include "server/admin/server_metrics.h"
#include "server/admin/status_report.h"

#include <QTest>

#include <cmath>
#include <limits>

using namespace lottery;
using namespace lottery::server;

namespace {

BatchOutcome acked(quint64 sequence, quint32 bets, bool duplicate)
{
    BatchOutcome outcome;
    outcome.kind = BatchOutcome::Kind::Acked;
    outcome.ack = protocol::Ack {sequence, static_cast<quint16>(bets), duplicate};
    outcome.betCount = bets;
    return outcome;
}

BatchOutcome rejected(protocol::ErrorCode code, const QString &error = QString())
{
    BatchOutcome outcome;
    outcome.kind = BatchOutcome::Kind::Rejected;
    outcome.reject.code = code;
    outcome.error = error;
    return outcome;
}

} // namespace

class TestAdminMetrics : public QObject
{
    Q_OBJECT

private slots:
    void labelEscaping_data();
    void labelEscaping();
    void numbers_data();
    void numbers();
    void histogramIsCumulative();
    void batchesAreCounted();
    void routineClosesAreNotRecentErrors();
    void readiness_data();
    void readiness();
    void tokens_data();
    void tokens();
};

void TestAdminMetrics::labelEscaping_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("plain") << "stored" << QByteArray("stored");
    QTest::newRow("backslash") << "a\\b" << QByteArray("a\\\\b");
    QTest::newRow("double quote") << "say \"hi\"" << QByteArray("say \\\"hi\\\"");
    QTest::newRow("newline") << "two\nlines" << QByteArray("two\\nlines");
    QTest::newRow("UTF-8 as is") << QString::fromUtf8("Lotería")
                                 << QByteArray("Loter\xc3\xad"
                                               "a");
}

void TestAdminMetrics::labelEscaping()
{
    QFETCH(QString, value);
    QFETCH(QByteArray, expected);
    QCOMPARE(MetricsFormatter::escapeLabelValue(value), expected);
    MetricsFormatter out;
    out.sample("x_total", {{"code", value}}, quint64(3));
    QCOMPARE(out.text(), "x_total{code=\"" + expected + "\"} 3\n");
}

void TestAdminMetrics::numbers_data()
{
    QTest::addColumn<double>("value");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("integer") << 42.0 << QByteArray("42");
    QTest::newRow("fraction") << 0.0025 << QByteArray("0.0025");
    QTest::newRow("+Inf") << std::numeric_limits<double>::infinity() << QByteArray("+Inf");
    QTest::newRow("-Inf") << -std::numeric_limits<double>::infinity() << QByteArray("-Inf");
    QTest::newRow("NaN") << std::numeric_limits<double>::quiet_NaN() << QByteArray("NaN");
}

void TestAdminMetrics::numbers()
{
    QFETCH(double, value);
    QFETCH(QByteArray, expected);
    QCOMPARE(MetricsFormatter::formatDouble(value), expected);
}

void TestAdminMetrics::histogramIsCumulative()
{
    const double bounds[] = {0.1, 1.0};
    const quint64 counts[] = {2, 3};
    MetricsFormatter out;
    out.family("d_seconds", "histogram", "Help with a \\ and\na newline.");
    out.histogram("d_seconds", bounds, counts, 2, 4, 7.5);
    QCOMPARE(out.text(),
        QByteArray("# HELP d_seconds Help with a \\\\ and\\na newline.\n"
                   "# TYPE d_seconds histogram\n"
                   "d_seconds_bucket{le=\"0.1\"} 2\n"
                   "d_seconds_bucket{le=\"1\"} 5\n"
                   "d_seconds_bucket{le=\"+Inf\"} 9\n"
                   "d_seconds_sum 7.5\n"
                   "d_seconds_count 9\n"));
}

void TestAdminMetrics::batchesAreCounted()
{
    ServerMetrics metrics;
    metrics.restoreAgency(2, 100, 4, false);
    // One task of agency 2: two stored, one resent, one rejected; 3 ms.
    metrics.recordBatches(2,
        {acked(5, 10, false), acked(6, 7, false), acked(6, 7, true),
            rejected(protocol::ErrorCode::InvalidBet)},
        3000000);
    // A task that hits a storage failure: latched with the store's reason; 20 s (above 10 s).
    metrics.recordBatches(
        3, {rejected(protocol::ErrorCode::StorageFailure, "fdatasync failed: EIO")}, 20000000000LL);
    const ServerMetrics::Snapshot s = metrics.snapshot();
    QCOMPARE(s.agencies.value(2).betsStored, quint64(117));
    QCOMPARE(s.agencies.value(2).batchesStored, quint64(6));
    QCOMPARE(s.agencies.value(2).duplicates, quint64(1));
    QCOMPARE(s.agencies.value(2).rejected, quint64(1));
    QVERIFY(s.agencies.value(2).lastBatchMs > 0);
    QCOMPARE(s.agencies.value(3).lastBatchMs, qint64(0));
    QCOMPARE(s.betsStored, quint64(117));
    QCOMPARE(s.batches[static_cast<int>(ServerMetrics::BatchResult::Stored)], quint64(2));
    QCOMPARE(s.batches[static_cast<int>(ServerMetrics::BatchResult::Duplicate)], quint64(1));
    QCOMPARE(s.batches[static_cast<int>(ServerMetrics::BatchResult::Rejected)], quint64(2));
    QCOMPARE(s.rejectionsByCode.value(QStringLiteral("invalid_bet")), quint64(1));
    QCOMPARE(s.rejectionsByCode.value(QStringLiteral("storage_failure")), quint64(1));
    QCOMPARE(s.storageFailure, QStringLiteral("fdatasync failed: EIO"));
    QCOMPARE(s.commit.count, quint64(2));
    // 3 ms falls in the 5 ms bucket (index 3); 20 s in none (+Inf only).
    QCOMPARE(s.commit.buckets[3], quint64(1));
    quint64 inBuckets = 0;
    for (quint64 count : s.commit.buckets)
        inBuckets += count;
    QCOMPARE(inBuckets, quint64(1));
    QCOMPARE(s.betsPerSecond.size(), std::size_t(ServerMetrics::kRateHistorySeconds));
    // The 17 new bets are in the current second (the last entry) or, across a second boundary,
    // the one before.
    QCOMPARE(s.betsPerSecond.back() + s.betsPerSecond[s.betsPerSecond.size() - 2], quint64(17));

    const QByteArray text = formatServerMetrics(StatusSnapshot {}, s, ProcessMetrics {}, 0);
    QVERIFY(text.contains("lottery_bets_stored_total{agency=\"2\"} 117\n"));
    QVERIFY(text.contains("lottery_batch_rejections_total{code=\"invalid_bet\"} 1\n"));
    QVERIFY(text.contains("lottery_commit_duration_seconds_bucket{le=\"+Inf\"} 2\n"));
    QVERIFY(text.contains("lottery_commit_duration_seconds_count 2\n"));
    QVERIFY(text.contains("lottery_storage_failed 1\n"));
}

void TestAdminMetrics::routineClosesAreNotRecentErrors()
{
    ServerMetrics metrics;
    metrics.recordError(1, protocol::ErrorCode::ShuttingDown);
    metrics.recordError(1, protocol::ErrorCode::Superseded);
    metrics.recordError(0, protocol::ErrorCode::Timeout);
    const ServerMetrics::Snapshot s = metrics.snapshot();
    QCOMPARE(s.errorsByCode.size(), 3);
    QCOMPARE(s.recentErrors.size(), std::size_t(1));
    QCOMPARE(s.recentErrors[0].code, QStringLiteral("timeout"));
    QCOMPARE(s.recentErrors[0].agency, 0u);
}

void TestAdminMetrics::readiness_data()
{
    QTest::addColumn<bool>("storageOpen");
    QTest::addColumn<bool>("listening");
    QTest::addColumn<bool>("shuttingDown");
    QTest::addColumn<QString>("failure");
    QTest::addColumn<QString>("reason"); // empty: ready

    QTest::newRow("ready") << true << true << false << ""
                           << "";
    QTest::newRow("shutting down") << true << false << true << ""
                                   << "shutting down";
    QTest::newRow("store closed") << false << true << false << ""
                                  << "storage is not open";
    QTest::newRow("storage failed") << true << true << false << "EIO"
                                    << "storage failed: EIO";
    QTest::newRow("not listening") << true << false << false << ""
                                   << "not listening for agencies";
}

void TestAdminMetrics::readiness()
{
    QFETCH(bool, storageOpen);
    QFETCH(bool, listening);
    QFETCH(bool, shuttingDown);
    QFETCH(QString, failure);
    QFETCH(QString, reason);
    StatusSnapshot status;
    status.storageOpen = storageOpen;
    status.listening = listening;
    status.shuttingDown = shuttingDown;
    ServerMetrics::Snapshot metrics;
    metrics.storageFailure = failure;
    const Readiness ready = lottery::server::readiness(status, metrics);
    QCOMPARE(ready.ready, reason.isEmpty());
    QCOMPARE(ready.reason, reason);
}

void TestAdminMetrics::tokens_data()
{
    QTest::addColumn<QByteArray>("presented");
    QTest::addColumn<bool>("equal");
    const QByteArray token = "0123456789abcdef0123456789abcdef";
    QTest::newRow("same") << token << true;
    QTest::newRow("empty") << QByteArray() << false;
    QTest::newRow("prefix") << token.left(31) << false;
    QTest::newRow("longer") << token + 'x' << false;
    QTest::newRow("last byte differs") << token.left(31) + 'g' << false;
}

void TestAdminMetrics::tokens()
{
    QFETCH(QByteArray, presented);
    QFETCH(bool, equal);
    QCOMPARE(AdminServer::tokensEqual(presented, "0123456789abcdef0123456789abcdef"), equal);
}

QTEST_GUILESS_MAIN(TestAdminMetrics)
#include "tst_admin_metrics.moc"
