// Runs one job at a time in a worker thread and brings its results back to the owner's thread.
//
// A job gets a BackgroundJob handle: it polls isCancelled() and hands results to post(), which
// runs them in the runner's thread later, unless the job was cancelled or replaced meanwhile.
// The destructor cancels and waits, so a job never outlives the runner it posts to.
#pragma once

#include <QObject>
#include <QThreadPool>

#include <atomic>
#include <functional>
#include <memory>

namespace lottery::gui {

class BackgroundRunner;

class BackgroundJob
{
public:
    bool isCancelled() const { return m_cancelled->load(std::memory_order_relaxed); }
    // Runs `deliver` in the runner's thread, only if this job is still the current one then.
    void post(std::function<void()> deliver) const;

private:
    friend class BackgroundRunner;
    BackgroundJob(
        BackgroundRunner *runner, quint64 generation, std::shared_ptr<std::atomic_bool> cancelled)
        : m_runner(runner), m_generation(generation), m_cancelled(std::move(cancelled))
    {
    }

    BackgroundRunner *m_runner;
    quint64 m_generation;
    std::shared_ptr<std::atomic_bool> m_cancelled;
};

class BackgroundRunner : public QObject
{
    Q_OBJECT
public:
    explicit BackgroundRunner(QObject *parent = nullptr);
    ~BackgroundRunner() override;

    // Cancels the current job (if any) and starts `work` in the worker thread.
    void start(std::function<void(const BackgroundJob &job)> work);
    // Results of the current job are dropped from now on; the job stops at its next check.
    void cancel();

private:
    friend class BackgroundJob;

    QThreadPool m_pool;
    quint64 m_generation = 0; // touched in the runner's thread only
    std::shared_ptr<std::atomic_bool> m_cancelled;
};

} // namespace lottery::gui
