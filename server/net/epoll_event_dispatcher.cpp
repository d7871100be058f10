#include "server/net/epoll_event_dispatcher.h"

#include "common/log.h"

#include <QCoreApplication>
#include <QSocketNotifier>
#include <QThread>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace lottery::server {

namespace {

// Events handled per epoll_wait; more wait for the next iteration (level-triggered: none lost).
constexpr int kMaxEvents = 512;
// epoll data: the fd in the low half, its registration generation in the high half. The wake-up
// eventfd uses a generation no descriptor reaches.
constexpr quint32 kWakeUpTag = 0xffffffffu;

qint64 monotonicNs()
{
    timespec now {};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<qint64>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

quint64 tag(int fd, quint32 generation)
{
    return (static_cast<quint64>(generation) << 32) | static_cast<quint32>(fd);
}

} // namespace

EpollEventDispatcher::EpollEventDispatcher(QObject *parent)
    : QAbstractEventDispatcher(parent), m_events(kMaxEvents)
{
    m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
    m_wakeFd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m_epoll < 0 || m_wakeFd < 0)
        qFatal("EpollEventDispatcher: epoll/eventfd: %s", std::strerror(errno));
    epoll_event event {};
    event.events = EPOLLIN;
    event.data.u64 = tag(m_wakeFd, kWakeUpTag);
    ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wakeFd, &event);
}

EpollEventDispatcher::~EpollEventDispatcher()
{
    ::close(m_wakeFd);
    ::close(m_epoll);
}

void EpollEventDispatcher::registerSocketNotifier(QSocketNotifier *notifier)
{
    const int fd = static_cast<int>(notifier->socket());
    const int type = static_cast<int>(notifier->type());
    if (fd < 0 || type < 0 || type > 2) {
        qWarning("EpollEventDispatcher: invalid socket notifier (fd %d, type %d)", fd, type);
        return;
    }
    if (static_cast<std::size_t>(fd) >= m_descriptors.size())
        m_descriptors.resize(static_cast<std::size_t>(fd) + 64);
    Descriptor &descriptor = m_descriptors[static_cast<std::size_t>(fd)];
    if (descriptor.notifiers[type] && descriptor.notifiers[type] != notifier)
        qWarning("EpollEventDispatcher: a second notifier of type %d for fd %d", type, fd);
    descriptor.notifiers[type] = notifier;
    if (type == QSocketNotifier::Write) {
        // A socket that has just been given bytes to send is almost always writable: Qt enables
        // the write notifier for every write() and disables it once flushed. Activating it
        // straight away saves the two epoll_ctl calls and a loop iteration per message sent; a
        // socket that was not writable after all keeps its notifier enabled, and epoll takes over.
        descriptor.writeDeferred = true;
        m_optimisticWrites.emplace_back(fd, notifier);
        return;
    }
    updateEpoll(fd, descriptor);
}

void EpollEventDispatcher::unregisterSocketNotifier(QSocketNotifier *notifier)
{
    const int fd = static_cast<int>(notifier->socket());
    const int type = static_cast<int>(notifier->type());
    if (fd < 0 || static_cast<std::size_t>(fd) >= m_descriptors.size() || type < 0 || type > 2)
        return;
    Descriptor &descriptor = m_descriptors[static_cast<std::size_t>(fd)];
    if (descriptor.notifiers[type] != notifier)
        return;
    descriptor.notifiers[type] = nullptr;
    if (type == QSocketNotifier::Write && descriptor.writeDeferred) {
        descriptor.writeDeferred = false;
        return; // epoll never watched it
    }
    updateEpoll(fd, descriptor);
}

void EpollEventDispatcher::holdReads(QAbstractSocket *socket, bool held)
{
    const qintptr descriptorNumber = socket ? socket->socketDescriptor() : -1;
    if (descriptorNumber < 0)
        return; // closed: nothing to hold, and a hold it had no longer applies
    const auto fd = static_cast<int>(descriptorNumber);
    if (static_cast<std::size_t>(fd) >= m_descriptors.size())
        m_descriptors.resize(static_cast<std::size_t>(fd) + 64);
    Descriptor &descriptor = m_descriptors[static_cast<std::size_t>(fd)];
    const bool wasHeld = descriptor.readsHeld(fd);
    descriptor.readsHeldBy = held ? socket : nullptr;
    if (wasHeld != held)
        updateEpoll(fd, descriptor);
}

bool EpollEventDispatcher::readsHeld(const QAbstractSocket *socket) const
{
    const qintptr fd = socket ? socket->socketDescriptor() : -1;
    if (fd < 0 || static_cast<std::size_t>(fd) >= m_descriptors.size())
        return false;
    const Descriptor &descriptor = m_descriptors[static_cast<std::size_t>(fd)];
    return descriptor.readsHeldBy == socket && descriptor.readsHeld(static_cast<int>(fd));
}

EpollEventDispatcher *EpollEventDispatcher::ofCurrentThread()
{
    return qobject_cast<EpollEventDispatcher *>(QAbstractEventDispatcher::instance());
}

void EpollEventDispatcher::updateEpoll(int fd, Descriptor &descriptor)
{
    quint32 events = 0;
    if (descriptor.notifiers[QSocketNotifier::Read] && !descriptor.readsHeld(fd))
        events |= EPOLLIN | EPOLLRDHUP;
    if (descriptor.notifiers[QSocketNotifier::Write] && !descriptor.writeDeferred)
        events |= EPOLLOUT;
    if (descriptor.notifiers[QSocketNotifier::Exception])
        events |= EPOLLPRI;
    // A held reader stays in the set with no events asked for: epoll still reports errors and
    // hang-ups, so an agency that resets its connection while it waits does not keep its place.
    const bool heldReader = descriptor.notifiers[QSocketNotifier::Read] && descriptor.readsHeld(fd);
    if (events == 0 && !heldReader) {
        if (descriptor.inEpoll) {
            // The fd may be closed already (then the kernel dropped it itself): ignore errors.
            ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
            descriptor.inEpoll = false;
            ++descriptor.generation;
            --m_watched;
        }
        return;
    }
    epoll_event event {};
    event.events = events;
    event.data.u64 = tag(fd, descriptor.generation);
    if (descriptor.inEpoll && ::epoll_ctl(m_epoll, EPOLL_CTL_MOD, fd, &event) == 0)
        return;
    // Not in the set, or the kernel dropped it when an earlier file on this fd was closed.
    if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event) != 0) {
        qWarning("EpollEventDispatcher: epoll_ctl(fd %d): %s", fd, std::strerror(errno));
        return;
    }
    if (!descriptor.inEpoll)
        ++m_watched;
    descriptor.inEpoll = true;
}

void EpollEventDispatcher::registerTimer(
    int timerId, qint64 interval, Qt::TimerType timerType, QObject *object)
{
    Timer timer;
    timer.object = object;
    timer.intervalMs = interval;
    timer.type = timerType;
    timer.deadlineNs = monotonicNs() + interval * 1000000;
    const auto [it, inserted] = m_timers.insert_or_assign(timerId, timer);
    Q_UNUSED(it);
    Q_UNUSED(inserted);
    m_queue.emplace(timer.deadlineNs, timerId);
    m_timersByObject.insert(object, timerId);
}

bool EpollEventDispatcher::unregisterTimer(int timerId)
{
    const auto it = m_timers.find(timerId);
    if (it == m_timers.end())
        return false;
    m_queue.erase({it->second.deadlineNs, timerId});
    m_timersByObject.remove(it->second.object, timerId);
    m_timers.erase(it);
    return true;
}

bool EpollEventDispatcher::unregisterTimers(QObject *object)
{
    const QList<int> ids = m_timersByObject.values(object);
    for (int id : ids)
        unregisterTimer(id);
    return !ids.isEmpty();
}

QList<QAbstractEventDispatcher::TimerInfo> EpollEventDispatcher::registeredTimers(
    QObject *object) const
{
    QList<TimerInfo> timers;
    for (auto it = m_timersByObject.constFind(object);
         it != m_timersByObject.constEnd() && it.key() == object; ++it) {
        const Timer &timer = m_timers.at(it.value());
        timers.append(TimerInfo(it.value(), static_cast<int>(timer.intervalMs), timer.type));
    }
    return timers;
}

int EpollEventDispatcher::remainingTime(int timerId)
{
    const auto it = m_timers.find(timerId);
    if (it == m_timers.end())
        return -1;
    const qint64 left = it->second.deadlineNs - monotonicNs();
    return left <= 0 ? 0 : static_cast<int>((left + 999999) / 1000000);
}

void EpollEventDispatcher::wakeUp()
{
    // One write until the loop consumes it: Qt calls this for every posted event.
    if (m_wakeUpPending.testAndSetAcquire(0, 1)) {
        const quint64 one = 1;
        [[maybe_unused]] const ssize_t written = ::write(m_wakeFd, &one, sizeof one);
    }
}

void EpollEventDispatcher::interrupt()
{
    m_interrupted.storeRelease(1);
    wakeUp();
}

void EpollEventDispatcher::consumeWakeUp()
{
    quint64 value = 0;
    [[maybe_unused]] const ssize_t read = ::read(m_wakeFd, &value, sizeof value);
    m_wakeUpPending.storeRelease(0);
}

int EpollEventDispatcher::timeUntilFirstTimerMs() const
{
    if (m_queue.empty())
        return -1;
    const qint64 left = m_queue.begin()->first - monotonicNs();
    if (left <= 0)
        return 0;
    // Rounded up: waking before the deadline would only spin.
    return static_cast<int>(qMin<qint64>((left + 999999) / 1000000, 24 * 3600 * 1000));
}

bool EpollEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags)
{
    m_interrupted.storeRelaxed(0);
    emit awake();
    {
        // The log lines of one iteration go out in one write, never held across the wait below.
        LogBurst burst;
        QCoreApplication::sendPostedEvents();
    }

    const bool includeTimers = !(flags & QEventLoop::X11ExcludeTimers);
    const bool includeNotifiers = !(flags & QEventLoop::ExcludeSocketNotifiers);
    const bool wait = (flags & QEventLoop::WaitForMoreEvents) && !m_interrupted.loadAcquire()
        && !(includeNotifiers && !m_optimisticWrites.empty());
    int timeoutMs = 0;
    if (wait) {
        emit aboutToBlock();
        timeoutMs = includeTimers ? timeUntilFirstTimerMs() : -1;
    }
    if (m_interrupted.loadAcquire())
        return false;

    int ready = ::epoll_wait(m_epoll, m_events.data(), kMaxEvents, timeoutMs);
    if (ready < 0) {
        if (errno != EINTR)
            qWarning("EpollEventDispatcher: epoll_wait: %s", std::strerror(errno));
        ready = 0;
    }
    LogBurst burst;
    int handled = 0;
    // The wake-up first: its events are posted ones, sent at the top of the next call.
    for (int i = 0; i < ready; ++i) {
        if (static_cast<quint32>(m_events[static_cast<std::size_t>(i)].data.u64 >> 32)
            == kWakeUpTag) {
            consumeWakeUp();
            ++handled;
        }
    }
    if (includeNotifiers) {
        handled += activateSocketNotifiers(ready);
        handled += activateOptimisticWrites();
    }
    if (includeTimers)
        handled += activateTimers();
    return handled > 0;
}

int EpollEventDispatcher::activateOptimisticWrites()
{
    if (m_optimisticWrites.empty())
        return 0;
    m_writesToActivate.clear();
    m_writesToActivate.swap(m_optimisticWrites); // handlers may register new ones
    int activated = 0;
    for (const auto &[fd, notifier] : m_writesToActivate) {
        if (static_cast<std::size_t>(fd) >= m_descriptors.size())
            continue;
        Descriptor *descriptor = &m_descriptors[static_cast<std::size_t>(fd)];
        if (descriptor->notifiers[QSocketNotifier::Write] != notifier || !descriptor->writeDeferred)
            continue; // disabled (flushed by an earlier event) or replaced meanwhile
        QEvent activation(QEvent::SockAct);
        QCoreApplication::sendEvent(notifier, &activation);
        ++activated;
        descriptor = &m_descriptors[static_cast<std::size_t>(fd)]; // the vector may have grown
        if (descriptor->notifiers[QSocketNotifier::Write] == notifier
            && descriptor->writeDeferred) {
            // Still wants to write: the socket buffer is full; wait for the kernel to say so.
            descriptor->writeDeferred = false;
            updateEpoll(fd, *descriptor);
        }
    }
    return activated;
}

int EpollEventDispatcher::activateSocketNotifiers(int ready)
{
    int activated = 0;
    for (int i = 0; i < ready; ++i) {
        const epoll_event &event = m_events[static_cast<std::size_t>(i)];
        const auto generation = static_cast<quint32>(event.data.u64 >> 32);
        if (generation == kWakeUpTag)
            continue;
        const auto fd = static_cast<int>(static_cast<quint32>(event.data.u64));
        // As Qt's poll dispatcher: errors and hang-ups wake the reader and the writer, who
        // then see them on the socket.
        const quint32 bits = event.events;
        const bool byType[3] = {(bits & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0,
            (bits & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0, (bits & EPOLLPRI) != 0};
        for (int type = 0; type < 3; ++type) {
            if (!byType[type])
                continue;
            // Looked up again for each: an earlier activation may have unregistered (or
            // deleted) this notifier, or closed the fd and registered another on it.
            if (static_cast<std::size_t>(fd) >= m_descriptors.size())
                break;
            const Descriptor &descriptor = m_descriptors[static_cast<std::size_t>(fd)];
            if (descriptor.generation != generation || !descriptor.inEpoll)
                break;
            QSocketNotifier *notifier = descriptor.notifiers[type];
            if (!notifier)
                continue;
            QEvent activation(QEvent::SockAct);
            QCoreApplication::sendEvent(notifier, &activation);
            ++activated;
        }
    }
    return activated;
}

int EpollEventDispatcher::activateTimers()
{
    if (m_queue.empty())
        return 0;
    const qint64 now = monotonicNs();
    // Only the timers due now: one started or restarted by a handler fires next time, even with
    // a zero interval (else a zero timer that restarts itself would never let the loop go on).
    m_dueTimers.clear();
    for (auto it = m_queue.begin(); it != m_queue.end() && it->first <= now; ++it)
        m_dueTimers.push_back(it->second);
    int fired = 0;
    for (int id : m_dueTimers) {
        auto it = m_timers.find(id);
        if (it == m_timers.end() || it->second.deadlineNs > now)
            continue; // killed, or restarted, by an earlier handler
        Timer &timer = it->second;
        m_queue.erase({timer.deadlineNs, id});
        // Re-armed before the event: the handler may kill it (a single-shot QTimer does).
        timer.deadlineNs += timer.intervalMs * 1000000;
        if (timer.deadlineNs <= now)
            timer.deadlineNs = now + timer.intervalMs * 1000000; // missed ones are not owed
        m_queue.emplace(timer.deadlineNs, id);
        QTimerEvent event(id);
        QCoreApplication::sendEvent(timer.object, &event);
        ++fired;
    }
    return fired;
}

const char *installMainEventDispatcher()
{
    if (qEnvironmentVariable("SERVER_EVENT_DISPATCHER") == QLatin1String("qt"))
        return "qt";
    QCoreApplication::setEventDispatcher(new EpollEventDispatcher);
    return "epoll";
}

} // namespace lottery::server
