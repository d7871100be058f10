// UploadSlots: the two bounds (sessions and bytes), arrival order, the first slot that always
// fits, resizing, and sessions that leave the queue.
#include "server/upload_slots.h"

#include <QTest>

using lottery::server::UploadSlots;

class TestUploadSlots : public QObject
{
    Q_OBJECT

private slots:
    void boundsSessionsAndBytes()
    {
        UploadSlots slots_(3, 100);
        QVERIFY(slots_.acquire(1, 40));
        QVERIFY(slots_.acquire(2, 40));
        QVERIFY(!slots_.acquire(3, 40)); // 120 bytes > 100
        QCOMPARE(slots_.waiting(), 1);
        QVERIFY(slots_.contended());
        QCOMPARE(slots_.inUse(), 2);
        QCOMPARE(slots_.bytesReserved(), qint64(80));
        QVERIFY(!slots_.acquire(4, 1)); // would fit, but arrives behind session 3
        QCOMPARE(slots_.firstWaiting(), quint64(3));

        slots_.release(40);
        QVERIFY(slots_.fits(40));
        slots_.dropFirstWaiting();
        slots_.take(40);
        QCOMPARE(slots_.firstWaiting(), quint64(4));
        QVERIFY(slots_.fits(1));
        slots_.dropFirstWaiting();
        slots_.take(1);
        QCOMPARE(slots_.inUse(), 3);
        QVERIFY(!slots_.fits(1)); // three sessions: the count bound
        QVERIFY(!slots_.contended());
    }

    void theFirstSlotAlwaysFits()
    {
        UploadSlots slots_(10, 100);
        QVERIFY(slots_.acquire(1, 1000)); // bigger than the budget, but alone
        QVERIFY(!slots_.acquire(2, 1));
        slots_.release(1000);
        QCOMPARE(slots_.bytesReserved(), qint64(0));
        QVERIFY(slots_.fits(1000));
    }

    void growsOnlyWithinTheBudgetAndWhenNobodyWaits()
    {
        UploadSlots slots_(10, 100);
        QVERIFY(slots_.acquire(1, 30));
        QVERIFY(slots_.resize(30, 90));
        QCOMPARE(slots_.bytesReserved(), qint64(90));
        QVERIFY(!slots_.resize(90, 101));
        QVERIFY(!slots_.acquire(2, 20));
        QVERIFY(!slots_.resize(90, 95)); // someone waits: no growing past them
        QVERIFY(slots_.resize(90, 50)); // shrinking always works
        QCOMPARE(slots_.bytesReserved(), qint64(50));
    }

    void forgetsSessionsThatLeave()
    {
        UploadSlots slots_(1, 100);
        QVERIFY(slots_.acquire(1, 10));
        QVERIFY(!slots_.acquire(2, 10));
        QVERIFY(!slots_.acquire(3, 10));
        slots_.forget(2);
        QCOMPARE(slots_.waiting(), 1);
        QCOMPARE(slots_.firstWaiting(), quint64(3));
        slots_.forget(3);
        QCOMPARE(slots_.firstWaiting(), quint64(0));
    }
};

QTEST_GUILESS_MAIN(TestUploadSlots)
#include "tst_upload_slots.moc"
