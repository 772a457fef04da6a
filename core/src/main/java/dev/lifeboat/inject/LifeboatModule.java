package dev.lifeboat.inject;

import com.google.inject.AbstractModule;
import dev.lifeboat.config.LifeboatConfig;
import dev.lifeboat.lifecycle.Deadline;
import dev.lifeboat.lifecycle.Log;
import dev.lifeboat.lifecycle.RunInfo;
import dev.lifeboat.lifecycle.SupervisedChild;
import dev.lifeboat.plugin.UploaderRegistry;
import dev.lifeboat.ship.PrecheckedUploader;
import dev.lifeboat.ship.ShippingPipeline;
import dev.lifeboat.ship.Shipper;
import dev.lifeboat.ship.UploaderService;

/**
 * Wires a run. The values known before the child starts (configuration, the uploaders found, the run's
 * identity, the child itself) come in as instances; the rest is built by constructor injection. The
 * injector is created only after the child has started, so none of this delays it.
 */
public final class LifeboatModule extends AbstractModule {
    private final LifeboatConfig config;
    private final UploaderRegistry registry;
    private final Log log;
    private final RunInfo run;
    private final SupervisedChild child;
    private final PrecheckedUploader prechecked;

    /**
     * @param child the running child, or null for {@code lifeboat upload}
     * @param prechecked an uploader created and checked before the child started, if any
     */
    public LifeboatModule(LifeboatConfig config, UploaderRegistry registry, Log log, RunInfo run, SupervisedChild child,
            PrecheckedUploader prechecked) {
        this.prechecked = prechecked;
        this.config = config;
        this.registry = registry;
        this.log = log;
        this.run = run;
        this.child = child;
    }

    @Override
    protected void configure() {
        binder().requireExplicitBindings();
        bind(LifeboatConfig.class).toInstance(config);
        bind(UploaderRegistry.class).toInstance(registry);
        bind(Log.class).toInstance(log);
        bind(RunInfo.class).toInstance(run);
        bind(Deadline.class).toInstance(new Deadline());
        if (child != null) {
            bind(SupervisedChild.class).toInstance(child);
            bind(dev.lifeboat.lifecycle.Supervisor.class);
        }
        bind(PrecheckedUploader.class).toInstance(prechecked);
        bind(UploaderService.class);
        bind(ShippingPipeline.class);
        bind(Shipper.class);
        bind(dev.lifeboat.lifecycle.UploadNow.class);
    }
}
