// AgencyRequestQueue (server/pipeline/agency_request_queue.h): at most one request per agency in
// the store; the others start in arrival order as each is answered; a request no longer wanted is
// skipped; agencies never wait for each other. Driven as the server drives it: starts record
// what ran, finished() is the answer arriving.
#include "server/pipeline/agency_request_queue.h"

#include <QTest>

#include <vector>

using namespace lottery::server;

class TestAgencyRequestQueue : public QObject
{
    Q_OBJECT
private slots:
    void startsAtOnceWhenIdle();
    void waitsBehindTheRequestInTheStore();
    void agenciesDoNotWaitForEachOther();
    void skipsRequestsNoLongerWanted();
    void aRequestSubmittedWhileStartingQueuesBehind();
    void clearForgetsWaitingRequests();

private:
    AgencyRequestQueue::Start record(int id, bool wanted = true)
    {
        return [this, id, wanted] {
            if (wanted)
                m_started.push_back(id);
            return wanted;
        };
    }
    std::vector<int> m_started;
};

void TestAgencyRequestQueue::startsAtOnceWhenIdle()
{
    m_started.clear();
    AgencyRequestQueue queue;
    QVERIFY(!queue.busy(1));
    queue.submit(1, record(10));
    QCOMPARE(m_started, std::vector<int>({10}));
    QVERIFY(queue.busy(1));
    queue.finished(1);
    QVERIFY(!queue.busy(1));
    QCOMPARE(queue.waiting(), 0);
}

void TestAgencyRequestQueue::waitsBehindTheRequestInTheStore()
{
    m_started.clear();
    AgencyRequestQueue queue;
    queue.submit(1, record(1)); // a write of the previous session
    queue.submit(1, record(2)); // the new session's welcome
    queue.submit(1, record(3));
    QCOMPARE(m_started, std::vector<int>({1}));
    QCOMPARE(queue.waiting(), 2);
    queue.finished(1);
    QCOMPARE(m_started, std::vector<int>({1, 2}));
    queue.finished(1);
    QCOMPARE(m_started, std::vector<int>({1, 2, 3}));
    QCOMPARE(queue.waiting(), 0);
    QVERIFY(queue.busy(1));
    queue.finished(1);
    QVERIFY(!queue.busy(1));
    queue.finished(1); // an answer with nothing in the store changes nothing
    QVERIFY(!queue.busy(1));
}

void TestAgencyRequestQueue::agenciesDoNotWaitForEachOther()
{
    m_started.clear();
    AgencyRequestQueue queue;
    queue.submit(1, record(1));
    queue.submit(2, record(2));
    queue.submit(1, record(3));
    queue.submit(3, record(4));
    QCOMPARE(m_started, std::vector<int>({1, 2, 4}));
    queue.finished(2);
    QCOMPARE(m_started, std::vector<int>({1, 2, 4}));
    queue.finished(1);
    QCOMPARE(m_started, std::vector<int>({1, 2, 4, 3}));
}

void TestAgencyRequestQueue::skipsRequestsNoLongerWanted()
{
    m_started.clear();
    AgencyRequestQueue queue;
    queue.submit(1, record(1));
    queue.submit(1, record(2, false)); // its session went while it waited
    queue.submit(1, record(3));
    queue.finished(1);
    QCOMPARE(m_started, std::vector<int>({1, 3}));
    QCOMPARE(queue.waiting(), 0);
    // Unwanted when submitted to an idle agency: nothing stays in the store.
    AgencyRequestQueue other;
    other.submit(5, record(9, false));
    QVERIFY(!other.busy(5));
    // The last waiting one unwanted: the agency is idle afterwards.
    queue.submit(1, record(4, false));
    queue.finished(1);
    QVERIFY(!queue.busy(1));
}

void TestAgencyRequestQueue::aRequestSubmittedWhileStartingQueuesBehind()
{
    m_started.clear();
    AgencyRequestQueue queue;
    queue.submit(1, record(1));
    queue.submit(1, [&] {
        m_started.push_back(2);
        queue.submit(1, record(3)); // from inside a start: behind it, not now
        return true;
    });
    queue.finished(1);
    QCOMPARE(m_started, std::vector<int>({1, 2}));
    QCOMPARE(queue.waiting(), 1);
    queue.finished(1);
    QCOMPARE(m_started, std::vector<int>({1, 2, 3}));
}

void TestAgencyRequestQueue::clearForgetsWaitingRequests()
{
    m_started.clear();
    AgencyRequestQueue queue;
    queue.submit(1, record(1));
    queue.submit(1, record(2));
    queue.clear();
    QCOMPARE(queue.waiting(), 0);
    QVERIFY(!queue.busy(1));
    queue.finished(1); // the answer of the request that was in the store: nothing starts
    QCOMPARE(m_started, std::vector<int>({1}));
}

QTEST_APPLESS_MAIN(TestAgencyRequestQueue)
#include "tst_agency_request_queue.moc"
