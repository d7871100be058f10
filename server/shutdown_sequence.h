// The orderly stop (SIGTERM): the one owner of the shutdown's phase and deadlines. Main thread.
//
//   Running -> Draining:        stop listening and reading frames; the tasks in flight (batches,
//                               DONEs, welcomes) are stored and answered, for at most drainMs;
//           -> ClosingSockets:  every session is sent ERROR(ShuttingDown); the peers close, for at
//                               most closeMs;
//           -> Done:            the sockets left are aborted, the workers stopped, the store
//                               closed (the server's `finish` step).
// The server does each step (Steps) and reports the counts reaching zero (tasksDrained(),
// sessionsClosed()); a deadline passing moves on without them, and the log says what was
// left.
#pragma once

#include <QObject>
#include <QTimer>

#include <functional>

namespace lottery::server {

class ShutdownSequence : public QObject
{
    Q_OBJECT
public:
    enum class Phase { Running, Draining, ClosingSockets, Done };

    struct Steps {
        std::function<void()> stopIntake; // stop listening and reading frames
        std::function<int()> tasksInFlight;
        std::function<void()> closeSessions; // ERROR(ShuttingDown) to every session
        std::function<int()> sessions;
        std::function<void()> finish; // abort what is left, stop the workers, close the store
    };
    struct Deadlines {
        int drainMs = 3000; // in-flight batches get this long to be stored and acknowledged
        int closeMs = 1000; // peers this long to take their ERROR(ShuttingDown)
    };

    explicit ShutdownSequence(Steps steps, QObject *parent = nullptr);
    void setDeadlines(const Deadlines &deadlines) { m_deadlines = deadlines; }

    // SIGTERM: starts draining (once; later calls do nothing).
    void start();
    // The server's counts reached zero: the phase waiting for them ends now.
    void tasksDrained();
    void sessionsClosed();

    Phase phase() const { return m_phase; }
    // No shutdown has started: new work (HELLOs, draws, switches) is still taken.
    bool isRunning() const { return m_phase == Phase::Running; }

private:
    void finishDraining();
    void finishClosingSockets();

    const Steps m_steps;
    Deadlines m_deadlines;
    Phase m_phase = Phase::Running;
    QTimer m_timer;
};

} // namespace lottery::server
