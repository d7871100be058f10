// Qt's QWaitCondition and the queues behind QThreadPool::start() and queued calls live in the
// Qt library, which is not built with ThreadSanitizer, so TSan cannot see the synchronisation
// they perform. These annotations state it (they compile to nothing without TSan), so a TSan
// report is about our code, not about Qt's invisible hand-offs.
#pragma once

#include <QMutex>
#include <QtCore/qtsan_impl.h>

namespace lottery::server::tsan {

// Everything written before handOff(key) is visible after takeOver(key) in another thread.
inline void handOff(const void *key)
{
    QtTsan::futexRelease(const_cast<void *>(key));
}

inline void takeOver(const void *key)
{
    QtTsan::futexAcquire(const_cast<void *>(key));
}

// The synchronisation object standing for Qt's own queues (thread pool, posted events). Its
// address is taken without touching any captured state, so the acquire comes before any read.
inline void *qtQueueKey()
{
    static char key = 0;
    return &key;
}

// Wraps a QWaitCondition::wait(): the library unlocks and relocks the mutex out of TSan's view.
class WaitAnnotation
{
public:
    explicit WaitAnnotation(QMutex *mutex) : m_mutex(mutex)
    {
        QtTsan::mutexPreUnlock(m_mutex, 0);
        QtTsan::mutexPostUnlock(m_mutex, 0);
    }
    ~WaitAnnotation()
    {
        QtTsan::mutexPreLock(m_mutex, 0);
        QtTsan::mutexPostLock(m_mutex, 0, 0);
    }
    WaitAnnotation(const WaitAnnotation &) = delete;
    WaitAnnotation &operator=(const WaitAnnotation &) = delete;

private:
    QMutex *m_mutex;
};

} // namespace lottery::server::tsan
