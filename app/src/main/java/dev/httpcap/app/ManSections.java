package dev.httpcap.app;

import java.util.List;

/** What the manual page says beyond the option tables: the configuration file, signals, exit status, environment. */
final class ManSections
{
    static final List<String[]> SECTIONS = List.of(
        new String[] {"Configuration file", """
            --config FILE.yaml reads options from a YAML file: one key per option of the command, named as the \
            option without its dashes (workers: 4, sink: [stdout, "file:/var/lib/httpcap/events.ndjson"], \
            promisc: false). A repeatable option takes a list; keys with a common first word may be grouped \
            (kafka: {acks: all} is kafka-acks: all). Options on the command line override the file. An unknown \
            key or a bad value stops httpcap before it captures, with the file, line and key named. \
            httpcap config check FILE checks a file without capturing.

              interface: eth0
              filter: tcp port 80
              headers: default
              redact-headers: x-api-key
              sink:
                - file:/var/lib/httpcap/events.ndjson?rotate-mb=256&keep=8
              stats-interval: 60"""},
        new String[] {"Signals", """
            SIGINT and SIGTERM stop reading, drain the pipeline, close open connections, flush the sinks and \
            print the report; a second one exits at once (status 130).

            SIGHUP (httpcap live) reopens the file sinks, so that a file logrotate moved away is started \
            afresh, and reads the --config file again: the header selection (headers), the redaction \
            (no-redact, redact-headers) and the statistics interval (stats-interval) change without a restart; \
            other changed keys are named and need a restart. A file with an error changes nothing."""},
        new String[] {"Exit status", """
            0 on success (also after a stop signal); 1 when the run fails: an input that cannot be read, a sink \
            or --write file that cannot be opened, a capture error; 2 for bad options, a bad configuration file \
            or no command; 3 when the JVM runs out of heap (bin/httpcap)."""},
        new String[] {"Environment", """
            HTTPCAP_JAVA_OPTS: more JVM options for bin/httpcap, e.g. -Xmx2g (the default heap is 512 MB). \
            HTTPCAP_AOT=0: do not use the JVM's AOT cache."""},
        new String[] {"Files", """
            /etc/httpcap/httpcap.yaml: the configuration of the packaged service (packaging/httpcap.yaml is an \
            example); /var/lib/httpcap: its state directory (events, the Kafka spill)."""},
        new String[] {"See also", "tcpdump(8), pcap-filter(7), systemd.exec(5)"});

    private ManSections()
    {
    }
}
