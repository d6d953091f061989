package abi

// Option is a WIT option<T>: Value is meaningful only when Some is true.
type Option[T any] struct {
	Some  bool
	Value T
}

// Some returns an Option holding v.
func Some[T any](v T) Option[T] { return Option[T]{Some: true, Value: v} }

// None returns an empty Option.
func None[T any]() Option[T] { return Option[T]{} }

// Get returns the value and whether there is one.
func (o Option[T]) Get() (T, bool) { return o.Value, o.Some }

// Tuple2 is a WIT tuple<A, B>.
type Tuple2[A, B any] struct {
	F0 A
	F1 B
}
