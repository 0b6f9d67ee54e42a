package dev.httpcap.decoders.tcp;

/** Told when a connection record is complete. The flow is recycled when the call returns. */
@FunctionalInterface
public interface FlowListener
{
    void onFlowEnd(TcpFlow flow);
}
