// UploadAdmission through its entry points, as sessions use it: the two bounds (sessions and
// bytes), arrival order, the first slot that always fits, resizing, the grants it makes itself
// when a slot comes back (asking each client its size at its turn), clients that leave the queue,
// and a client that gives its slot back from inside its own grant.
#include "server/net/upload_admission.h"

#include <QTest>

#include <functional>
#include <vector>

using lottery::server::UploadAdmission;

namespace {

// A session as the admission sees it: what it wants, and the grants it received.
class FakeClient : public UploadAdmission::Client
{
public:
    explicit FakeClient(qint64 wants = 10) : wants(wants) { }
    qint64 admissionBytesWanted() const override { return wants; }
    void admitted(qint64 bytes) override
    {
        grants.push_back(bytes);
        if (onAdmitted)
            onAdmitted();
    }

    qint64 wants;
    std::vector<qint64> grants;
    std::function<void()> onAdmitted;
};

} // namespace

class TestUploadAdmission : public QObject
{
    Q_OBJECT

private slots:
    void boundsSessionsAndBytesInArrivalOrder()
    {
        UploadAdmission admission(3, 100);
        FakeClient a(40), b(40), c(40), d(1), e(1);
        QVERIFY(admission.request(a, 40));
        QVERIFY(admission.request(b, 40));
        QVERIFY(!admission.request(c, 40)); // 120 bytes > 100
        QVERIFY(admission.isWaiting(c));
        QVERIFY(admission.contended());
        QVERIFY(!admission.request(d, 1)); // would fit, but arrives behind c
        QCOMPARE(admission.inUse(), 2);
        QCOMPARE(admission.bytesReserved(), qint64(80));
        QVERIFY(!admission.request(c, 40)); // asking again changes nothing
        QCOMPARE(admission.waiting(), 2);

        c.wants = 50; // more of its batches arrived while it waited: asked at its turn
        admission.release(a);
        QCOMPARE(c.grants, std::vector<qint64> {50});
        QCOMPARE(d.grants, std::vector<qint64> {1}); // then d, which fits too
        QVERIFY(admission.holds(c) && admission.holds(d) && !admission.holds(a));
        QCOMPARE(admission.reservation(c), qint64(50));
        QCOMPARE(admission.bytesReserved(), qint64(91));
        QVERIFY(!admission.request(e, 1)); // three holders: the count bound
        QVERIFY(admission.contended());
    }

    void theFirstSlotAlwaysFits()
    {
        UploadAdmission admission(10, 100);
        FakeClient big(1000), small(1);
        QVERIFY(admission.request(big, 1000)); // bigger than the budget, but alone
        QVERIFY(!admission.request(small, 1));
        admission.release(big);
        QCOMPARE(small.grants, std::vector<qint64> {1});
        QCOMPARE(admission.bytesReserved(), qint64(1));
    }

    void growsOnlyWithinTheBudgetAndWhenNobodyWaits()
    {
        UploadAdmission admission(10, 100);
        FakeClient a(30), b(20);
        QVERIFY(admission.request(a, 30));
        QVERIFY(admission.resize(a, 90));
        QCOMPARE(admission.bytesReserved(), qint64(90));
        QVERIFY(!admission.resize(a, 101));
        QVERIFY(!admission.request(b, 20));
        QVERIFY(!admission.resize(a, 95)); // someone waits: no growing past them
        QVERIFY(b.grants.empty());
        QVERIFY(admission.resize(a, 50)); // shrinking always works, and makes room for b
        QCOMPARE(b.grants, std::vector<qint64> {20});
        QCOMPARE(admission.bytesReserved(), qint64(70));
        FakeClient stranger;
        QVERIFY(!admission.resize(stranger, 1)); // holds nothing
    }

    void clientsThatLeaveTheQueueAreSkipped()
    {
        UploadAdmission admission(1, 100);
        FakeClient holder, gone, next, back;
        QVERIFY(admission.request(holder, 10));
        QVERIFY(!admission.request(gone, 10));
        QVERIFY(!admission.request(back, 10));
        QVERIFY(!admission.request(next, 10));
        admission.release(gone); // closed before its turn
        admission.release(back); // left...
        QVERIFY(!admission.request(back, 10)); // ...and came back: behind `next` now
        QCOMPARE(admission.waiting(), 2);
        admission.release(holder);
        QVERIFY(gone.grants.empty());
        QCOMPARE(next.grants.size(), std::size_t(1));
        QVERIFY(back.grants.empty());
        admission.release(next);
        QCOMPARE(back.grants.size(), std::size_t(1));
        QCOMPARE(admission.waiting(), 0);
    }

    void aClientMayGiveItsSlotBackFromItsGrant()
    {
        // A session that closed while it waited gives the slot back at once: the next one in
        // the queue gets it in the same pass.
        UploadAdmission admission(1, 100);
        FakeClient holder, closing, after;
        closing.onAdmitted = [&] { admission.release(closing); };
        QVERIFY(admission.request(holder, 10));
        QVERIFY(!admission.request(closing, 10));
        QVERIFY(!admission.request(after, 10));
        admission.release(holder);
        QCOMPARE(closing.grants.size(), std::size_t(1));
        QCOMPARE(after.grants.size(), std::size_t(1));
        QVERIFY(admission.holds(after));
        QCOMPARE(admission.inUse(), 1);
        QCOMPARE(admission.bytesReserved(), qint64(10));
    }

    void clearGrantsNothing()
    {
        UploadAdmission admission(1, 100);
        FakeClient holder, waiting;
        QVERIFY(admission.request(holder, 10));
        QVERIFY(!admission.request(waiting, 10));
        admission.clear();
        QVERIFY(waiting.grants.empty());
        QCOMPARE(admission.inUse(), 0);
        QCOMPARE(admission.waiting(), 0);
        QCOMPARE(admission.bytesReserved(), qint64(0));
    }
};

QTEST_GUILESS_MAIN(TestUploadAdmission)
#include "tst_upload_admission.moc"
