#include "server/pipeline/result_queue.h"

#include "common/log.h"

#include <QMetaObject>
#include <QMutexLocker>

#include <utility>

namespace lottery::server {

void ResultQueue::post(std::function<void()> result)
{
    bool wasEmpty = false;
    {
        QMutexLocker locker(&m_mutex);
        wasEmpty = m_pending.empty();
        m_pending.push_back(std::move(result));
    }
    // One wake-up per batch of results: the queued call carries no data of its own.
    if (wasEmpty)
        QMetaObject::invokeMethod(this, "runPosted", Qt::QueuedConnection);
}

void ResultQueue::runPosted()
{
    std::vector<std::function<void()>> results;
    {
        QMutexLocker locker(&m_mutex);
        results.swap(m_pending);
    }
    // The lines these results log (one apuesta_recibida per batch) go out in one write.
    const LogBurst burst;
    for (std::function<void()> &result : results)
        result();
}

} // namespace lottery::server
