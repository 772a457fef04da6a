package dev.lifeboat.lifecycle;

import com.google.inject.AbstractModule;
import dev.lifeboat.base.Budget;
import dev.lifeboat.base.Log;
import dev.lifeboat.base.RunInfo;
import dev.lifeboat.config.LifeboatConfig;
import dev.lifeboat.plugin.UploaderRegistry;
import dev.lifeboat.ship.ShippingPipeline;
import dev.lifeboat.ship.Shipper;

/**
 * Wires a run's shipping side ({@link Shutdown}). What is known before the child starts (the
 * configuration, the uploaders found, the run's identity, its budget, an uploader already checked)
 * comes in as instances; the rest is built by constructor injection. The injector is created only once
 * the child runs, so none of this delays it.
 */
final class LifeboatModule extends AbstractModule {
    private final LifeboatConfig config;
    private final UploaderRegistry registry;
    private final Log log;
    private final RunInfo run;
    private final Budget budget;
    private final PrecheckedUploader prechecked;

    LifeboatModule(LifeboatConfig config, UploaderRegistry registry, Log log, RunInfo run, Budget budget,
            PrecheckedUploader prechecked) {
        this.config = config;
        this.registry = registry;
        this.log = log;
        this.run = run;
        this.budget = budget;
        this.prechecked = prechecked;
    }

    @Override
    protected void configure() {
        binder().requireExplicitBindings();
        bind(LifeboatConfig.class).toInstance(config);
        bind(UploaderRegistry.class).toInstance(registry);
        bind(Log.class).toInstance(log);
        bind(RunInfo.class).toInstance(run);
        bind(Budget.class).toInstance(budget);
        bind(PrecheckedUploader.class).toInstance(prechecked);
        bind(UploaderService.class);
        bind(ShippingPipeline.class);
        bind(Shipper.class);
        bind(Shutdown.class);
    }
}
