"""`model.fit`'s work as a custom loop, under any `tf.distribute` strategy.

Keras 3's `model.fit` does not run under `tf.distribute.MultiWorkerMirroredStrategy`
(keras-team/keras#20585), so `keras-pixelrnn train --strategy multi-worker`
trains with `DistributedTrainer` instead. It shares everything else with the
`fit` path: the compiled model, its loss and optimizer (schedule, weight
averaging, clipping, loss scaling), the metric classes and the Keras callbacks
(checkpoints, TensorBoard, the best epoch, the step budget, progress bars), so
the two paths train the same model the same way.

One step, on every replica (`strategy.run`):

    per_image = loss(y, model(x))                      # nats per image, (B_replica,)
    loss = compute_average_loss(per_image, global_batch_size=B)

where `B`, the images of the global batch, is summed over the replicas, so a
last, smaller batch is averaged over its own images as `fit` does. The
optimizer sums the replicas' gradients: the mean over the global batch.
"""

import keras
import tensorflow as tf


class DistributedTrainer:
    """Trains a compiled model with a custom loop under `strategy`.

    Args:
        model: a model compiled with an optimizer and a loss (or one loss per
            output), created under `strategy.scope()`.
        metrics: metric objects updated with `(y, y_pred)`, as given to
            `compile` (e.g. `[NatsPerImage(), BitsPerDim()]`); created here
            under the strategy's scope if given as a callable.
        strategy: the `tf.distribute` strategy; defaults to the current one.
    """

    def __init__(self, model, metrics=(), strategy=None):
        if model.optimizer is None or model.loss is None:
            raise ValueError("`model` must be compiled with an optimizer and a loss first.")
        self.model = model
        self.strategy = strategy or tf.distribute.get_strategy()
        with self.strategy.scope():
            metrics = metrics() if callable(metrics) else list(metrics)
            self.loss_tracker = keras.metrics.Mean(name="loss")
        self.metrics = [self.loss_tracker] + list(metrics)
        self._losses = model.loss if isinstance(model.loss, (list, tuple)) else [model.loss]
        self._train_step = self._test_step = self._validation = None

    def _per_image_loss(self, y, y_pred):
        ys = y if isinstance(y, (list, tuple)) else [y]
        preds = y_pred if isinstance(y_pred, (list, tuple)) else [y_pred]
        if len(ys) != len(self._losses) or len(preds) != len(self._losses):
            raise ValueError(
                f"The model has {len(self._losses)} loss(es) but {len(ys)} target(s) and "
                f"{len(preds)} output(s)."
            )
        terms = [tf.cast(loss.call(t, p), tf.float32) for loss, t, p in zip(self._losses, ys, preds)]
        return tf.add_n(terms)

    def _update_metrics(self, per_image, y, y_pred):
        self.loss_tracker.update_state(per_image)
        for metric in self.metrics[1:]:
            metric.update_state(y, y_pred)

    def _results(self):
        return {metric.name: metric.result() for metric in self.metrics}

    def _make_functions(self):
        model, strategy = self.model, self.strategy
        optimizer = model.optimizer

        def replica_train_step(data):
            x, y = data
            context = tf.distribute.get_replica_context()
            with tf.GradientTape() as tape:
                y_pred = model(x, training=True)
                per_image = self._per_image_loss(y, y_pred)
                images = context.all_reduce(
                    tf.distribute.ReduceOp.SUM, tf.cast(tf.shape(per_image)[0], tf.float32)
                )
                loss = tf.nn.compute_average_loss(
                    per_image, global_batch_size=tf.cast(images, tf.int64)
                )
                if model.losses:
                    loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
                scaled = optimizer.scale_loss(loss)
            variables = model.trainable_variables
            gradients = tape.gradient(scaled, variables)
            optimizer.apply_gradients(zip(gradients, variables))
            self._update_metrics(per_image, y, y_pred)

        def replica_test_step(data):
            x, y = data
            y_pred = model(x, training=False)
            self._update_metrics(self._per_image_loss(y, y_pred), y, y_pred)

        @tf.function
        def train_step(data):
            strategy.run(replica_train_step, args=(data,))
            return self._results()

        @tf.function
        def test_step(data):
            strategy.run(replica_test_step, args=(data,))
            return self._results()

        self._train_step, self._test_step = train_step, test_step

    def _reset(self):
        for metric in self.metrics:
            metric.reset_state()

    @staticmethod
    def _floats(logs):
        return {name: float(value) for name, value in logs.items()}

    def _distribute(self, dataset):
        options = tf.data.Options()
        # Every worker reads the same (seeded) pipeline and keeps its share of
        # each global batch: data sets held in memory have no files to shard.
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
        return self.strategy.experimental_distribute_dataset(dataset.with_options(options))

    def evaluate(self, dataset, callbacks=None):
        """The metrics over `dataset` (batched by the global batch), as a dict of floats."""
        if self._test_step is None:
            self._make_functions()
        self._reset()
        logs = {}
        if callbacks is not None:
            callbacks.on_test_begin()
        if self._validation is None or self._validation[0] is not dataset:
            self._validation = (dataset, self._distribute(dataset))  # once per data set
        for data in self._validation[1]:
            logs = self._test_step(data)
        logs = self._floats(logs)
        if callbacks is not None:
            callbacks.on_test_end(logs)
        return logs

    def fit(self, dataset, epochs=1, validation_data=None, callbacks=(), initial_epoch=0,
            verbose=1):
        """Trains like `model.fit(dataset, epochs=..., validation_data=...)`.

        `dataset` and `validation_data` yield `(x, y)` batched by the global
        batch size. Returns the `keras.callbacks.History` of the run.
        """
        if self._train_step is None:
            self._make_functions()
        model = self.model
        steps = int(dataset.cardinality())
        callbacks = keras.callbacks.CallbackList(
            list(callbacks), add_history=True, add_progbar=verbose != 0, model=model,
            verbose=verbose, epochs=epochs, steps=steps if steps > 0 else None,
        )
        model.stop_training = False
        distributed = self._distribute(dataset)
        callbacks.on_train_begin()
        logs = {}
        for epoch in range(initial_epoch, epochs):
            self._reset()
            callbacks.on_epoch_begin(epoch)
            for step, data in enumerate(distributed):
                callbacks.on_train_batch_begin(step)
                logs = self._train_step(data)
                callbacks.on_train_batch_end(step, self._floats(logs))
                if model.stop_training:
                    break
            epoch_logs = self._floats(logs)
            if validation_data is not None:
                val_logs = self.evaluate(validation_data, callbacks)
                epoch_logs.update({f"val_{name}": value for name, value in val_logs.items()})
            callbacks.on_epoch_end(epoch, epoch_logs)
            logs = epoch_logs
            if model.stop_training:
                break
        callbacks.on_train_end(logs)
        return model.history
