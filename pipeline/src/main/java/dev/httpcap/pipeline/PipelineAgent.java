package dev.httpcap.pipeline;

import java.util.concurrent.ThreadFactory;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.IdleStrategy;

/**
 * A long-running loop of the pipeline (the capture of a lane, a worker, the sink thread) as an Agrona
 * {@link Agent}, run by an {@link AgentRunner}: started in one place ({@link #start}: a thread from
 * the configured factory, named after the agent, with the agent's idle strategy), ended by the agent
 * itself ({@link #finish}) or by its first error, which is kept as its {@link #failure} and ends
 * it; {@link #onClose} runs either way, on the agent's thread.
 */
abstract class PipelineAgent implements Agent
{
    private final String roleName;
    private volatile Throwable failure;

    PipelineAgent(final String roleName)
    {
        this.roleName = roleName;
    }

    /**
     * Start {@code agent} on a thread from {@code threads}, idling with {@code idle} when a call of its
     * work did nothing.
     *
     * @return the thread, started; it ends when the agent does.
     */
    static Thread start(final PipelineAgent agent, final IdleStrategy idle, final ThreadFactory threads)
    {
        final Thread thread = threads.newThread(new AgentRunner(idle, agent::fail, null, agent));
        thread.setName(agent.roleName());
        // An error outside the agent's loop (in the thread factory's own code around it) ends the
        // thread without onClose: the agent is told.
        thread.setUncaughtExceptionHandler((dead, ex) -> agent.threadDied(ex));
        thread.start();
        return thread;
    }

    /** @return the agent, run on the calling thread until it ends (for tests). */
    static Runnable runnable(final PipelineAgent agent, final IdleStrategy idle)
    {
        return new AgentRunner(idle, agent::fail, null, agent);
    }

    /** One pass of the loop. @return how much was done: 0 lets the idle strategy wait. */
    abstract int work() throws Exception;

    @Override
    public final int doWork()
    {
        try
        {
            return work();
        }
        catch (final AgentTerminationException ex)
        {
            throw ex;
        }
        catch (final Throwable ex)
        {
            fail(ex);
            throw new AgentTerminationException(ex);
        }
    }

    /** Called by {@link #work} when the loop is done: the agent ends, normally. */
    static int finish()
    {
        throw new AgentTerminationException();
    }

    /** Its thread died of {@code ex} outside the agent's loop; runs on that thread. */
    void threadDied(final Throwable ex)
    {
        fail(ex);
    }

    /** @return the error that ended the agent (or came from its {@link #onClose}), or null. */
    Throwable failure()
    {
        return failure;
    }

    /** The runner's error handler: the first error is the agent's failure; the end of the agent is none. */
    private void fail(final Throwable ex)
    {
        if (!(ex instanceof AgentTerminationException) && failure == null)
        {
            failure = ex;
        }
    }

    @Override
    public String roleName()
    {
        return roleName;
    }
}
