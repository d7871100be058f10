#include "server/pipeline/store_job_queue.h"

#include <QElapsedTimer>

#include <memory>

namespace lottery::server {

StoreJobQueue::StoreJobQueue(PoolDispatcher &workers, QObject *parent)
    : QObject(parent), m_workers(workers)
{
}

void StoreJobQueue::setStore(BetStore *store, bool combines)
{
    m_store = store;
    m_combines = combines;
}

void StoreJobQueue::submit(WriteRequest request, Completion completion)
{
    Queued queued;
    // A BATCH body is at most one frame of ~100-byte bets: its size bounds its bet count well
    // enough to size a job, without decoding here.
    quint64 bytes = 0;
    for (const auto &[offset, size] : request.batches.bodies) {
        Q_UNUSED(offset);
        bytes += size;
    }
    queued.bets = request.done ? 1 : qMax<quint64>(1, bytes / 40);
    queued.request = std::move(request);
    queued.completion = std::move(completion);
    m_queue.push_back(std::move(queued));
    scheduleDispatch();
}

void StoreJobQueue::scheduleDispatch()
{
    if (m_dispatchScheduled)
        return;
    m_dispatchScheduled = true;
    // After the events of this loop iteration: the other sessions read in it join the job.
    QMetaObject::invokeMethod(this, &StoreJobQueue::dispatch, Qt::QueuedConnection);
}

void StoreJobQueue::dispatch()
{
    m_dispatchScheduled = false;
    while (!m_queue.empty() && m_jobsInFlight < m_limits.maxJobsInFlight) {
        std::vector<Queued> job;
        quint64 bets = 0;
        const std::size_t maxRequests = m_combines ? std::size_t(m_limits.maxRequestsPerJob) : 1;
        while (!m_queue.empty() && job.size() < maxRequests
            && (job.empty() || bets + m_queue.front().bets <= m_limits.maxBetsPerJob)) {
            bets += m_queue.front().bets;
            job.push_back(std::move(m_queue.front()));
            m_queue.pop_front();
        }
        runJob(std::move(job));
    }
}

void StoreJobQueue::runJob(std::vector<Queued> job)
{
    ++m_jobsInFlight;
    // The requests' bytes go to the worker; the completions stay here.
    auto requests = std::make_shared<std::vector<WriteRequest>>();
    auto completions = std::make_shared<std::vector<Completion>>();
    requests->reserve(job.size());
    completions->reserve(job.size());
    for (Queued &queued : job) {
        requests->push_back(std::move(queued.request));
        completions->push_back(std::move(queued.completion));
    }
    BetStore *store = m_store;
    const protocol::CivilDate today = latestBirthdate(); // the bound of the birthdate rule
    m_workers.run(
        [requests = std::move(requests), store, today]() {
            QElapsedTimer clock;
            clock.start();
            std::vector<StoreJobOutput> outputs = runStoreJob(*requests, today, *store);
            // The bytes the outputs no longer need are freed here, not on the main thread.
            requests->clear();
            return std::make_pair(std::move(outputs), clock.nsecsElapsed());
        },
        [this, completions = std::move(completions)](
            std::pair<std::vector<StoreJobOutput>, qint64> result) {
            --m_jobsInFlight;
            for (std::size_t i = 0; i < completions->size(); ++i)
                (*completions)[i](std::move(result.first[i]), result.second);
            dispatch();
        });
}

} // namespace lottery::server
