#include "background_runner.h"

#include <QPointer>

namespace lottery::gui {

void BackgroundJob::post(std::function<void()> deliver) const
{
    BackgroundRunner *runner = m_runner;
    const quint64 generation = m_generation;
    // Safe from the worker thread: the runner waits for its jobs before it is destroyed, and Qt
    // drops events still queued for an object when it is.
    QMetaObject::invokeMethod(
        runner,
        [runner, generation, deliver = std::move(deliver)] {
            if (runner->m_generation == generation)
                deliver();
        },
        Qt::QueuedConnection);
}

BackgroundRunner::BackgroundRunner(QObject *parent) : QObject(parent)
{
    // One job at a time; a replaced job is cancelled and gives way within one of its checks.
    m_pool.setMaxThreadCount(1);
}

BackgroundRunner::~BackgroundRunner()
{
    cancel();
    m_pool.waitForDone();
}

void BackgroundRunner::start(std::function<void(const BackgroundJob &job)> work)
{
    cancel();
    m_cancelled = std::make_shared<std::atomic_bool>(false);
    const BackgroundJob job(this, m_generation, m_cancelled);
    m_pool.start([job, work = std::move(work)] { work(job); });
}

void BackgroundRunner::cancel()
{
    ++m_generation;
    if (m_cancelled)
        m_cancelled->store(true, std::memory_order_relaxed);
    m_cancelled.reset();
}

} // namespace lottery::gui
