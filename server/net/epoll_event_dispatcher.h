// The main thread's event dispatcher: epoll for socket notifiers, an ordered set for timers.
//
// Why: Qt's default dispatchers cost time per *registered* socket on every loop iteration (glib
// polls every socket and walks a list of all of them to unregister one; the poll dispatcher
// rebuilds a poll set of every socket), so with thousands of agencies connected the server's cost
// per bet grew with the agencies. Here a loop iteration costs what is ready, and enabling or
// disabling a notifier (the session's back-pressure, once per task) is one epoll_ctl.
//
// Install it before the QCoreApplication exists: QCoreApplication::setEventDispatcher(new ...).
// It serves one thread (the one that runs its loop); wakeUp() and interrupt() may be called from
// any thread.
#pragma once

#include <QAbstractEventDispatcher>
#include <QAbstractSocket>
#include <QAtomicInt>
#include <QMultiHash>
#include <QPointer>

#include <sys/epoll.h>

#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

class QSocketNotifier;

namespace lottery::server {

class EpollEventDispatcher : public QAbstractEventDispatcher
{
    Q_OBJECT
public:
    explicit EpollEventDispatcher(QObject *parent = nullptr);
    ~EpollEventDispatcher() override;

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;

    void registerSocketNotifier(QSocketNotifier *notifier) override;
    void unregisterSocketNotifier(QSocketNotifier *notifier) override;

    void registerTimer(
        int timerId, qint64 interval, Qt::TimerType timerType, QObject *object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject *object) override;
    QList<TimerInfo> registeredTimers(QObject *object) const override;
    int remainingTime(int timerId) override;

    void wakeUp() override;
    void interrupt() override;

    // Sockets with at least one enabled notifier (for tests and diagnostics).
    int watchedDescriptors() const { return m_watched; }

    // Back-pressure below Qt: while a socket's reads are held, epoll stops watching it for
    // input, so its read notifier is not activated, Qt reads nothing (and allocates no read
    // buffer for it) and the peer's bytes wait in the kernel, which pushes back over TCP.
    // Errors and hang-ups still wake the reader. Qt is not told: once the hold ends, a socket
    // with bytes waiting is activated as usual (epoll is level-triggered). The hold belongs to
    // the socket, not to its descriptor: once Qt has closed the socket (socketDescriptor() is
    // then -1), another socket given the same number is not held.
    void holdReads(QAbstractSocket *socket, bool held);
    bool readsHeld(const QAbstractSocket *socket) const;

    // The running thread's dispatcher if it is one of these, else nullptr.
    static EpollEventDispatcher *ofCurrentThread();

private:
    struct Descriptor {
        QSocketNotifier *notifiers[3] = {nullptr, nullptr, nullptr}; // Read, Write, Exception
        quint32 generation = 0; // bumped when the fd leaves epoll: stale events are dropped
        bool inEpoll = false;
        // The write notifier is activated once without asking the kernel first (see
        // activateOptimisticWrites); only if it stays enabled does epoll watch for EPOLLOUT.
        bool writeDeferred = false;
        QPointer<QAbstractSocket> readsHeldBy; // see holdReads()
        bool readsHeld(int fd) const
        {
            return readsHeldBy && readsHeldBy->socketDescriptor() == fd;
        }
    };
    struct Timer {
        QObject *object = nullptr;
        qint64 intervalMs = 0;
        Qt::TimerType type = Qt::CoarseTimer;
        qint64 deadlineNs = 0;
    };

    void updateEpoll(int fd, Descriptor &descriptor);
    int activateSocketNotifiers(int ready);
    int activateTimers();
    int activateOptimisticWrites();
    // Milliseconds until the first timer is due (0: one is due), -1 without timers.
    int timeUntilFirstTimerMs() const;
    void consumeWakeUp();

    int m_epoll = -1;
    int m_wakeFd = -1; // eventfd
    QAtomicInt m_wakeUpPending;
    QAtomicInt m_interrupted;
    std::vector<Descriptor> m_descriptors; // by fd
    int m_watched = 0;
    std::vector<epoll_event> m_events;
    std::unordered_map<int, Timer> m_timers; // by timer id
    std::set<std::pair<qint64, int>> m_queue; // (deadline ns, timer id)
    QMultiHash<QObject *, int> m_timersByObject;
    std::vector<int> m_dueTimers; // scratch of activateTimers()
    std::vector<std::pair<int, QSocketNotifier *>> m_optimisticWrites; // (fd, notifier)
    std::vector<std::pair<int, QSocketNotifier *>> m_writesToActivate; // scratch
};

// Before the QCoreApplication exists: installs an EpollEventDispatcher for the main thread,
// unless SERVER_EVENT_DISPATCHER=qt asks for Qt's own (for comparisons). Returns which one.
const char *installMainEventDispatcher();

} // namespace lottery::server
