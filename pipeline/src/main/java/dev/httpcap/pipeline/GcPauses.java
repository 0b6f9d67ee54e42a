package dev.httpcap.pipeline;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

import com.sun.management.GarbageCollectionNotificationInfo;

/**
 * The JVM's stop-the-world collections during a run: how many, their total and their longest
 * duration, from the collectors' own notifications (delivered after each collection on a JMX thread,
 * so nothing runs on the pipeline's threads). Every thread of the pipeline stands still for the
 * length of a pause, so on a live capture a pause is time the kernel ring must absorb. The beans
 * of cycles that run concurrently with the application (ZGC's and Shenandoah's "... Cycles") are not
 * pauses and are left out; their pauses have beans of their own ("... Pauses"). G1's "G1 Concurrent
 * GC" bean, despite its name, times the Remark and Cleanup pauses of a concurrent cycle (JDK-8297247,
 * JDK 20), so it is counted.
 */
final class GcPauses implements NotificationListener, AutoCloseable
{
    private final List<NotificationEmitter> emitters = new ArrayList<>();
    private final List<String> collectors = new ArrayList<>();
    private final AtomicLong[] pauses;
    private final AtomicLong[] pauseMillis;
    private final AtomicLong maxPauseMillis = new AtomicLong();

    /** Starts counting now. */
    GcPauses()
    {
        for (final GarbageCollectorMXBean bean : ManagementFactory.getGarbageCollectorMXBeans())
        {
            if (bean instanceof NotificationEmitter emitter && isPauseCollector(bean.getName()))
            {
                collectors.add(bean.getName());
                emitters.add(emitter);
            }
        }
        pauses = new AtomicLong[collectors.size()];
        pauseMillis = new AtomicLong[collectors.size()];
        for (int i = 0; i < collectors.size(); i++)
        {
            pauses[i] = new AtomicLong();
            pauseMillis[i] = new AtomicLong();
            emitters.get(i).addNotificationListener(this, null, collectors.get(i));
        }
    }

    /** @return whether the collector named so stops the application (its beans' names, HotSpot's collectors). */
    static boolean isPauseCollector(final String name)
    {
        return !name.contains("Cycles");
    }

    @Override
    public void handleNotification(final Notification notification, final Object handback)
    {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType()))
        {
            return;
        }
        final GarbageCollectionNotificationInfo info =
            GarbageCollectionNotificationInfo.from((CompositeData)notification.getUserData());
        final int i = collectors.indexOf((String)handback);
        if (i < 0)
        {
            return;
        }
        final long millis = info.getGcInfo().getDuration();
        pauses[i].incrementAndGet();
        pauseMillis[i].addAndGet(millis);
        maxPauseMillis.accumulateAndGet(millis, Math::max);
    }

    /** Registers the pause counters, one series per collector. */
    void register(final CounterRegistry registry)
    {
        final CounterRegistry.Family count = registry.counter("gc_pauses", "stop-the-world garbage collections", "collector")
            .notInReport();
        final CounterRegistry.Family millis =
            registry.counter("gc_pause_seconds", "time every thread stood still for them", "collector")
            .notInReport().inSeconds(1e-3);
        for (int i = 0; i < collectors.size(); i++)
        {
            count.add(pauses[i]::get, collectors.get(i));
            millis.add(pauseMillis[i]::get, collectors.get(i));
        }
        registry.gauge("gc_pause_max_seconds", "the longest of them").notInReport().inSeconds(1e-3).add(maxPauseMillis::get);
    }

    long pauses()
    {
        long total = 0;
        for (final AtomicLong p : pauses)
        {
            total += p.get();
        }
        return total;
    }

    long pauseMillis()
    {
        long total = 0;
        for (final AtomicLong p : pauseMillis)
        {
            total += p.get();
        }
        return total;
    }

    long maxPauseMillis()
    {
        return maxPauseMillis.get();
    }

    /** Stops counting (the counts stay readable). */
    @Override
    public void close()
    {
        for (final NotificationEmitter emitter : emitters)
        {
            try
            {
                emitter.removeNotificationListener(this);
            }
            catch (final ListenerNotFoundException ignored)
            {
                // already gone
            }
        }
    }
}
