// Gathers the store requests of many sessions (their batches, their DONEs) on the main thread and
// hands them to the pool as few jobs: a job carries the requests that arrived while the workers
// were busy, up to a size, and the store makes all of them durable with one write and one commit.
// With five agencies a job is one session's up-to-64 batches, as before; with ten thousand
// agencies of two batches each, a job carries hundreds of sessions' requests instead of one, so
// the tasks, commits, wake-ups and result hand-offs per bet stop growing with the agencies.
//
// Order: a session has at most one request in flight (it reads nothing more meanwhile), and
// requests leave in the order they were submitted, so each agency's batches and DONE stay in
// order. Each request's completion runs on the main thread, in its job's order.
#pragma once

#include "server/pipeline/pool_dispatcher.h"
#include "server/pipeline/worker_tasks.h"

#include <QObject>

#include <deque>
#include <functional>

namespace lottery::server {

class StoreJobQueue : public QObject
{
    Q_OBJECT
public:
    // Runs on the main thread with the request's result and the duration of its job.
    using Completion = std::function<void(StoreJobOutput &&output, qint64 jobNs)>;

    struct Limits {
        int maxJobsInFlight = 10; // the pool's size: one job per worker
        // A job stops growing at this many requests or bets (the bets bound a job's memory and
        // latency; one session's request always fits, however big).
        int maxRequestsPerJob = 256;
        quint64 maxBetsPerJob = 8192;
    };

    StoreJobQueue(PoolDispatcher &workers, QObject *parent = nullptr);

    // The store the jobs apply to; `combines`: its apply() makes one commit for many requests
    // (else each job carries one request, as a store that commits per request gains nothing
    // from waiting for others).
    void setStore(BetStore *store, bool combines);
    void setLimits(const Limits &limits) { m_limits = limits; }

    // Queues a request; it leaves in a job at the latest once the current loop iteration is over.
    void submit(WriteRequest request, Completion completion);

    int queued() const { return static_cast<int>(m_queue.size()); }
    int jobsInFlight() const { return m_jobsInFlight; }

private:
    struct Queued {
        WriteRequest request;
        Completion completion;
        quint64 bets = 0; // its weight (a DONE weighs one)
    };

    void scheduleDispatch();
    Q_INVOKABLE void dispatch();
    void runJob(std::vector<Queued> job);

    PoolDispatcher &m_workers;
    BetStore *m_store = nullptr;
    bool m_combines = false;
    Limits m_limits;
    std::deque<Queued> m_queue;
    int m_jobsInFlight = 0;
    bool m_dispatchScheduled = false;
};

} // namespace lottery::server
