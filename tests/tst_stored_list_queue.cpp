// StoredListQueue (server/pipeline/stored_list_queue.h): LIST_STORED reads run in the pool at most
// kMaxRunning at once, the rest wait in arrival order and run as the others finish; each result
// reaches its caller on the owner's thread. The store here blocks each read until the test lets
// it go, so what runs and what waits is observed, not timed.
#include "server/pipeline/stored_list_queue.h"

#include <QMutex>
#include <QTest>
#include <QThreadPool>
#include <QWaitCondition>

using namespace lottery;
using namespace lottery::server;

namespace {

// Only readStoredBets() matters; it waits until released, and says which reads entered it.
class GateStore final : public BetStore
{
public:
    bool open() override { return true; }
    QString errorString() const override { return {}; }
    QString describe() const override { return QStringLiteral("gate"); }
    bool keepsDigests() const override { return true; }
    bool listsStoredBets() const override { return true; }
    std::optional<AgencyProgress> welcome(quint32, QDeadlineTimer, QString *) override
    {
        return AgencyProgress {};
    }
    std::vector<StoreAnswer> apply(std::vector<StoreRequest> requests) override
    {
        return std::vector<StoreAnswer>(requests.size());
    }
    QHash<quint32, AgencyProgress> durableProgress() const override { return {}; }
    DrawResult draw() override { return {}; }
    bool hasFailed() const override { return false; }
    void requestStop() override { }
    void close() override { }
    Stats stats() const override { return {}; }

    bool readStoredBets(quint32 agency, quint64 from, quint32 count,
        std::vector<protocol::Bet> *bets, QString *error) const override
    {
        QMutexLocker locker(&m_mutex);
        ++m_entered;
        m_order.push_back(agency);
        m_changed.wakeAll();
        while (m_released == 0)
            m_changed.wait(&m_mutex);
        --m_released;
        if (agency == 9) {
            *error = QStringLiteral("agency 9 has no stored bets");
            return false;
        }
        for (quint32 i = 0; i < count; ++i) {
            bets->push_back(protocol::Bet {"A", "B", std::to_string(from + i), "2000-01-01",
                static_cast<std::uint16_t>(agency)});
        }
        return true;
    }

    int entered() const
    {
        QMutexLocker locker(&m_mutex);
        return m_entered;
    }
    // The agencies whose reads entered the store, in that order.
    std::vector<quint32> order() const
    {
        QMutexLocker locker(&m_mutex);
        return m_order;
    }
    void release(int reads)
    {
        QMutexLocker locker(&m_mutex);
        m_released += reads;
        m_changed.wakeAll();
    }

private:
    mutable QMutex m_mutex;
    mutable QWaitCondition m_changed;
    mutable int m_entered = 0;
    mutable int m_released = 0;
    mutable std::vector<quint32> m_order;
};

} // namespace

class TestStoredListQueue : public QObject
{
    Q_OBJECT

private slots:
    void atMostTwoReadAtOnceTheRestWaitInOrder();
};

void TestStoredListQueue::atMostTwoReadAtOnceTheRestWaitInOrder()
{
    QThreadPool pool;
    pool.setMaxThreadCount(8); // more threads than the queue may use
    ResultQueue results;
    PoolDispatcher workers(pool, results);
    GateStore store;
    StoredListQueue queue(workers);
    queue.setStore(&store);

    std::vector<quint32> delivered; // agencies, in delivery order
    QStringList errors;
    const auto deliverFor = [&](quint32 agency) {
        return [&, agency](StoredListQueue::Result &&result) {
            delivered.push_back(agency);
            if (!result.ok)
                errors << result.error;
            else if (result.bets.size() != 3 || result.bets.front().document != "10")
                errors << QStringLiteral("agency %1: wrong bets").arg(agency);
        };
    };
    QVERIFY(queue.submit(1, 10, 3, deliverFor(1)));
    QVERIFY(queue.submit(2, 10, 3, deliverFor(2)));
    QVERIFY(!queue.submit(3, 10, 3, deliverFor(3))); // waits its turn
    QVERIFY(!queue.submit(9, 10, 3, deliverFor(9)));
    QVERIFY(!queue.submit(5, 10, 3, deliverFor(5)));
    QCOMPARE(queue.running(), 2);
    QCOMPARE(queue.waiting(), 3);
    QTRY_COMPARE(store.entered(), 2);

    // One read ends at a time: each time the next waiting one starts, in arrival order.
    const quint32 waitingOrder[] = {3, 9, 5};
    for (int i = 0; i < 3; ++i) {
        store.release(1);
        QTRY_COMPARE(delivered.size(), std::size_t(i + 1));
        QTRY_COMPARE(store.entered(), 3 + i);
        QCOMPARE(store.order().back(), waitingOrder[i]);
        QCOMPARE(queue.running(), 2);
        QCOMPARE(queue.waiting(), 2 - i);
    }
    store.release(2);
    QTRY_COMPARE(delivered.size(), std::size_t(5));
    QCOMPARE(store.entered(), 5);
    QCOMPARE(queue.running(), 0);
    // A failed read is delivered as such.
    QCOMPARE(errors, QStringList {QStringLiteral("agency 9 has no stored bets")});
    QVERIFY(workers.waitForDone(10000));
}

QTEST_GUILESS_MAIN(TestStoredListQueue)
#include "tst_stored_list_queue.moc"
