//! The σ program's instructions: what each computes, and how it is stored in a blob.
//!
//! The network's σ-only arithmetic (the noise conditioning, the output scale) is evaluated
//! in f32 by the engine on every evaluation, by `kantor quantize` when it folds ONNX
//! constants and checks the quantised graph, and by its f32 reference. All of them call
//! [`ScalarOp::apply`], so the host computes exactly the numbers the device does.

#![forbid(unsafe_code)]

use super::format::{scalar, ScalarRecord};

/// One f32 instruction of the σ program. Register 0 holds σ, instruction i writes
/// register i + 1, operands are registers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ScalarOp {
    Const(f32),
    Add(u8, u8),
    Sub(u8, u8),
    Mul(u8, u8),
    Div(u8, u8),
    /// ra^rb (libm powf).
    Pow(u8, u8),
    /// √ra (libm sqrtf).
    Sqrt(u8),
    Neg(u8),
    /// 1 / ra.
    Recip(u8),
    /// e^ra (libm expf).
    Exp(u8),
    /// ln ra (libm logf).
    Log(u8),
}

impl ScalarOp {
    /// The value of this instruction over the registers computed so far (operands must
    /// index into `regs`).
    pub fn apply(self, regs: &[f32]) -> f32 {
        let r = |i: u8| regs[i as usize];
        match self {
            ScalarOp::Const(c) => c,
            ScalarOp::Add(a, b) => r(a) + r(b),
            ScalarOp::Sub(a, b) => r(a) - r(b),
            ScalarOp::Mul(a, b) => r(a) * r(b),
            ScalarOp::Div(a, b) => r(a) / r(b),
            ScalarOp::Pow(a, b) => libm::powf(r(a), r(b)),
            ScalarOp::Sqrt(a) => libm::sqrtf(r(a)),
            ScalarOp::Neg(a) => -r(a),
            ScalarOp::Recip(a) => 1.0 / r(a),
            ScalarOp::Exp(a) => libm::expf(r(a)),
            ScalarOp::Log(a) => libm::logf(r(a)),
        }
    }

    /// The registers this instruction reads.
    pub fn operands(self) -> (u8, u8) {
        let r = self.to_record();
        (r.a, r.b)
    }

    /// The instruction a record holds (`None` for a code this engine does not know).
    pub fn from_record(r: &ScalarRecord) -> Option<ScalarOp> {
        let (a, b) = (r.a, r.b);
        Some(match r.code {
            scalar::CONST => ScalarOp::Const(r.constant),
            scalar::ADD => ScalarOp::Add(a, b),
            scalar::SUB => ScalarOp::Sub(a, b),
            scalar::MUL => ScalarOp::Mul(a, b),
            scalar::DIV => ScalarOp::Div(a, b),
            scalar::POW => ScalarOp::Pow(a, b),
            scalar::SQRT => ScalarOp::Sqrt(a),
            scalar::NEG => ScalarOp::Neg(a),
            scalar::RECIP => ScalarOp::Recip(a),
            scalar::EXP => ScalarOp::Exp(a),
            scalar::LOG => ScalarOp::Log(a),
            _ => return None,
        })
    }

    /// The record that stores this instruction (unused operands and the constant of
    /// register instructions are 0).
    pub fn to_record(self) -> ScalarRecord {
        let (code, a, b, constant) = match self {
            ScalarOp::Const(v) => (scalar::CONST, 0, 0, v),
            ScalarOp::Add(a, b) => (scalar::ADD, a, b, 0.0),
            ScalarOp::Sub(a, b) => (scalar::SUB, a, b, 0.0),
            ScalarOp::Mul(a, b) => (scalar::MUL, a, b, 0.0),
            ScalarOp::Div(a, b) => (scalar::DIV, a, b, 0.0),
            ScalarOp::Pow(a, b) => (scalar::POW, a, b, 0.0),
            ScalarOp::Sqrt(a) => (scalar::SQRT, a, 0, 0.0),
            ScalarOp::Neg(a) => (scalar::NEG, a, 0, 0.0),
            ScalarOp::Recip(a) => (scalar::RECIP, a, 0, 0.0),
            ScalarOp::Exp(a) => (scalar::EXP, a, 0, 0.0),
            ScalarOp::Log(a) => (scalar::LOG, a, 0, 0.0),
        };
        ScalarRecord { code, a, b, reserved: 0, constant }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_instruction_survives_its_record_and_computes_its_value() {
        let regs = [2.0f32, 8.0];
        let cases = [
            (ScalarOp::Const(1.5), 1.5),
            (ScalarOp::Add(0, 1), 10.0),
            (ScalarOp::Sub(0, 1), -6.0),
            (ScalarOp::Mul(0, 1), 16.0),
            (ScalarOp::Div(1, 0), 4.0),
            (ScalarOp::Pow(0, 0), 4.0),
            (ScalarOp::Sqrt(1), libm::sqrtf(8.0)),
            (ScalarOp::Neg(0), -2.0),
            (ScalarOp::Recip(0), 0.5),
            (ScalarOp::Exp(0), libm::expf(2.0)),
            (ScalarOp::Log(1), libm::logf(8.0)),
        ];
        for (op, want) in cases {
            assert_eq!(op.apply(&regs), want, "{op:?}");
            let rec = op.to_record();
            assert_eq!(ScalarOp::from_record(&ScalarRecord::read(&rec.to_bytes())), Some(op));
        }
        assert_eq!(ScalarOp::from_record(&ScalarRecord { code: scalar::LOG + 1, ..Default::default() }), None);
    }
}
