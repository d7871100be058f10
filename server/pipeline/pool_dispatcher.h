// The one idiom for "run in the pool, deliver the result on the owner's thread": work runs on a
// QThreadPool thread, its result comes back through a ResultQueue and is handed to `deliver` in
// the thread that owns the queue. The ThreadSanitizer hand-off annotations live here and nowhere
// else: the start (owner -> worker), the result (worker -> owner, through the queue's mutex) and
// the end of the pool (every worker -> the owner, after waitForDone()).
#pragma once

#include "server/pipeline/result_queue.h"
#include "server/tsan_annotations.h"

#include <QRunnable>
#include <QThreadPool>

#include <memory>
#include <type_traits>
#include <utility>

namespace lottery::server {

class PoolDispatcher
{
public:
    PoolDispatcher(QThreadPool &pool, ResultQueue &results) : m_pool(pool), m_results(results) { }
    PoolDispatcher(const PoolDispatcher &) = delete;
    PoolDispatcher &operator=(const PoolDispatcher &) = delete;

    // Runs `work()` in the pool, then `deliver(result)` in the queue's thread. `work` may be
    // move-only (it may own a request's bytes); the result must be movable, `deliver` copyable.
    // The deliverer must find its session by id: the session may be gone by then.
    template<typename Work, typename Deliver> void run(Work work, Deliver deliver)
    {
        using Result = std::invoke_result_t<Work &>;
        auto body = [this, work = std::move(work), deliver = std::move(deliver)]() mutable {
            auto result = std::make_shared<Result>(work());
            m_results.post([deliver, result] { deliver(std::move(*result)); });
            tsan::handOff(&m_pool); // pairs with the takeOver in waitForDone()
        };
        auto *task = new Task<decltype(body)>(std::move(body));
        tsan::handOff(tsan::qtQueueKey());
        m_pool.start(task);
    }

    // Waits up to `timeoutMs` (-1: forever) for every task; true if they all finished.
    bool waitForDone(int timeoutMs = -1)
    {
        if (!m_pool.waitForDone(timeoutMs))
            return false;
        tsan::takeOver(&m_pool);
        return true;
    }

private:
    // A pool task whose very first act is to take over what the starting thread wrote.
    template<typename Body> class Task : public QRunnable
    {
    public:
        explicit Task(Body body) : m_body(std::move(body)) { }
        void run() override
        {
            tsan::takeOver(tsan::qtQueueKey());
            m_body();
        }

    private:
        Body m_body;
    };

    QThreadPool &m_pool;
    ResultQueue &m_results;
};

} // namespace lottery::server
